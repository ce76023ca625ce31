"""Install picoos: `pip install .` (metadata lives in pyproject.toml).

The board profiles live in the top-level `boards/` folder of the repository
and are installed inside the package as `picoos.boards`, so a node finds its
pin maps without the source tree.
"""
from setuptools import find_namespace_packages, setup

setup(
    # namespace discovery so the web monitor's static/ folder is package data
    packages=find_namespace_packages(include=["picoos", "picoos.*"],
                                     exclude=["*.__pycache__"]) + ["picoos.boards"],
    package_dir={"picoos.boards": "boards"},
    package_data={
        "picoos.boards": ["*.json"],
        "picoos.dist.static": ["*"],
    },
)
