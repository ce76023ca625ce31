# ported from pycos's examples, imports renamed: a copy of pycos 4.12.2's
# examples/node_update_script.py (Apache 2.0, by Giridhar Pemmasani) in which only the import
# lines differ, so that it runs on picoos. A test fixture of tests/compat.
#!/usr/bin/env python

import time, sys

time.sleep(float(sys.argv[1]))
print('%s done' % sys.argv[0])
exit(0)
