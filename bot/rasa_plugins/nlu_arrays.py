"""Small models inside the Rasa model archive, stored as plain numpy arrays (never pickle)."""
from __future__ import annotations

from typing import Mapping

import numpy as np
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def write_arrays(storage: ModelStorage, resource: Resource, filename: str, arrays: Mapping[str, np.ndarray]) -> None:
    with storage.write_to(resource) as directory:
        np.savez(directory / filename, **arrays)


def read_arrays(storage: ModelStorage, resource: Resource, filename: str) -> dict[str, np.ndarray] | None:
    """The arrays, or None when the component was not trained (e.g. a core-only model)."""
    try:
        with storage.read_from(resource) as directory:
            with np.load(directory / filename, allow_pickle=False) as arrays:
                return {name: arrays[name] for name in arrays.files}
    except (ValueError, FileNotFoundError):
        return None
