"""Data stage: raw files → canonical examples → a content-hashed `DatasetVersion`."""
