"""Board profiles as data: one JSON file per board model.

Installed as the package `picoos.boards` (see setup.py) so a node finds its
pin maps, UART paths and LEDs without the source tree;
`picoos.drivers.board` loads them.  The schema is described in
`picoos/drivers/board.py`.
"""
