"""Cyber Diplomacy Facts: validate curated tables and publish them as a versioned data package."""
