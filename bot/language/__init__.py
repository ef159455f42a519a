"""French free text to codes: answers, amounts, dates, contacts, language detection. No Rasa."""
