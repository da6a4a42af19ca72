"""Decision trees: loading and checking a tree file, overlays, the library that finds trees by id, tree tests,
the graph, differences between versions, and showing a tree in the terminal.
"""
