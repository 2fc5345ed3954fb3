"""Tiny attention models for text applications (notebook 11). Work in progress."""
