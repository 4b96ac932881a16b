#!/usr/bin/env python3
"""Figures of cases/fisher_kpp_resolved.yaml: the same panels as scripts/plot/fisher_kpp.py
(learned reaction, stencil, loss history, held-out predictions), written to
<dir>/fisher_kpp_resolved.png.

    /usr/bin/python3 scripts/plot/fisher_kpp_resolved.py [results/fisher_kpp_resolved]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fisher_kpp  # noqa: E402

if __name__ == "__main__":
    fisher_kpp.main(sys.argv[1] if len(sys.argv) > 1 else "results/fisher_kpp_resolved",
                    "fisher_kpp_resolved")
