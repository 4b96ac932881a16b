"""Shared by the plot scripts: a missing input is one clear line and exit status 1."""
import os
import sys


def require(path, written_by):
    """Exits with one line naming `path` and the command that writes it when it is missing."""
    if not os.path.isfile(path):
        script = os.path.basename(sys.argv[0])
        sys.exit("%s: error: no file %s (written by `%s`; run it with this -output_dir first)"
                 % (script, path, written_by))
    return path
