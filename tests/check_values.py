"""docs/theory.md section 5: public check values (continuous or one-hot inputs,
generic weights), shared by the bounds and rank tests."""

#: (L, R, M, T, inputs, separation rank)
CHECK_VALUES = [
    (1, 3, 3, 6, "continuous", 3),
    (1, 3, 3, 6, "one-hot", 3),
    (2, 2, 2, 8, "continuous", 10),
    (2, 3, 3, 8, "continuous", 45),
    (2, 4, 4, 8, "continuous", 140),
    (2, 4, 4, 8, "one-hot", 140),
    (2, 4, 4, 4, "one-hot", 16),
    (2, 4, 4, 4, "continuous", 40),
]
