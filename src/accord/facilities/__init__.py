"""Facilities that hold or receive people, with their capacity and suspension."""
