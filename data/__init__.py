"""The registers shipped with emrtrack (installed as the package emrtrack.data)."""
