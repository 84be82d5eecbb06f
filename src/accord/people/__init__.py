"""People held: the person record of DESIGN.md §2, its history, import and the frame the rules read."""
