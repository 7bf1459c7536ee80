"""Short articles the build tests share (each voices in a second or two)."""

HARBOUR = """Harbour Lights

The harbour lights came on at dusk. The boats returned slowly.

A gull watched from the old stone wall.

The last ferry left at nine.
"""
