"""Writers that turn validated tables into the files of a release."""
