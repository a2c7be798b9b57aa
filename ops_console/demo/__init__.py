"""Made-up demo data: a district with its stores and a generator of realistic order addresses."""
