"""Uploaded documents: type sniffing, page selection, PDF and raster page sources, orientation."""
