"""Evaluate a model saved by ``train_run`` on a data set's test split."""

from __future__ import annotations

from ..serialization import CheckpointError, load
from ..train import evaluate
from .builders import build_data, build_loss, build_model, model_name
from .config import ConfigError
from .run import config_from_checkpoint


def evaluate_checkpoint(path, dataset: str | None = None, data_dir: str | None = None,
                        batch_size: int = 256) -> dict:
    """``{"loss": ..., "accuracy": ...}`` of the checkpoint's model on the test split of its data
    set (or of ``dataset``)."""
    from ..data import DataLoader

    cfg = config_from_checkpoint(path)
    changes = {k: v for k, v in (("dataset", dataset), ("data_dir", data_dir)) if v is not None}
    cfg = cfg.replace(**changes)
    data = build_data(cfg)
    if data.test is None:
        raise ConfigError(f"the data set {cfg.dataset!r} has no test split")
    model = build_model(cfg, data)
    state = load(path)
    weights = state.get("model", state) if isinstance(state, dict) else state
    try:
        model.load_state_dict(weights)
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: its weights do not fit the {model_name(cfg)} model for "
                              f"{cfg.dataset}: {e}") from None
    metrics = ("accuracy",) if data.is_classification else ()
    return evaluate(model, DataLoader(data.test, batch_size=batch_size), build_loss(data), metrics)
