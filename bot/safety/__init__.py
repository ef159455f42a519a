"""The safety screen: danger words (lexicon.yml), the danger model, and what is said then."""
