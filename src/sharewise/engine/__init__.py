"""Walking a tree: the engine that asks the questions in order and finds the outcome, and its ``if:`` conditions."""
