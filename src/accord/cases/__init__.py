"""Cases: one person proposed for one agreement, screened with the rules core."""
