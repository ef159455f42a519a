"""Places: French postal codes and départements, communes and their proximity."""
