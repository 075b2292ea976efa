"""Input files (YAML registers, CSV and .xlsx facility lists) read into the model, every problem with its position."""

from emrtrack.reading.entries import MAX_FILE_BYTES, FacilityEntry, LoadedFiles, RequirementEntry
from emrtrack.reading.files import read_files

__all__ = ["MAX_FILE_BYTES", "FacilityEntry", "LoadedFiles", "RequirementEntry", "read_files"]
