"""The intake: which questions, the domain of a description, what it already says, the recap."""
