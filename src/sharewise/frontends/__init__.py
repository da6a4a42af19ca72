"""The ways a decision is made: scripted (an answers file), batch (a file of cases), and the drafts an
interactive session keeps (the interactive session itself is :mod:`sharewise.interactive`).
"""
