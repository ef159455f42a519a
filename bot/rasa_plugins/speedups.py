"""Per-turn waste of the Rasa server, cut without changing what it does.

Installed once by bot/rasa_plugins/__init__.py, so by the Rasa server (and `rasa train`) as soon
as it loads a plug-in of our configuration; never imported by the action server or the agenda service.

- Every answer of the action server is checked against Rasa's response schema with
  `jsonschema.validate`, which first re-checks the *schema itself* against the JSON
  Schema meta-schema and builds a new validator: half of the Rasa server's CPU time
  under load (py-spy, docs/performance.md). We build the validator once and check each
  answer with it: same validator class, same schema, same error (`best_match`) raised.
- The model's graph has two SpacyNLP nodes (one provides the spaCy model, one runs it)
  and Rasa loads `fr_core_news_md` for each: 330 MB and seconds of start-up for a copy
  that is never used. Both now get the same loaded model.
- Of spaCy's pipeline, Rasa uses the tokens, their lemmas and tags and the word vectors
  (SpacyTokenizer, SpacyFeaturizer); nothing reads the named entities, so the entity
  recogniser (a third of spaCy's time per message) is switched off. Rasa itself already
  switches the parser off. The features are the same: tests/e2e/test_rasa_speedups.py checks
  it on every training example.
- Loading DIET and TED, Rasa trains each model for one step on one example to create
  its weights (and the optimizer's) before reading the trained ones over them, and that
  step runs through `tf.function`: TensorFlow traces the whole training graph, with its
  gradients, just to throw it away — most of the 100 s start-up. We create the weights
  with one eager forward pass of the same training loss instead, and read the same
  checkpoint over them: the loaded weights are bit for bit the same
  (tests/e2e/test_rasa_speedups.py); only the optimizer's state, useless to predict, is not
  restored. Prediction keeps its compiled graph. Fine-tuning (`rasa train --finetune`)
  keeps Rasa's own loading.
- TED runs for every prediction (3–4 a turn, 3–5 ms of TensorFlow each) even when RulePolicy
  or MemoizationPolicy has already decided with certainty: Rasa's ensemble then picks their
  prediction whatever TED says (confidence 1.0 and a higher priority win; a "no user"
  prediction overrules the others). TED's prediction is now computed only when the
  ensemble needs it: the decision is the same by construction (`decided_without`, and
  tests/unit/rasa_plugins/test_speedups_ted.py against Rasa's own ensemble).
- Every call to the action server opened a new aiohttp session, so a new TCP connection
  (2–4 calls a turn). One session per endpoint now keeps its connections open between calls:
  the same request (headers and token, parameters, timeouts, errors), no cookie kept (as
  with a new session each time), an idle connection closed after 2 s, before the action
  server's Sanic closes it (5 s). tests/unit/rasa_plugins/test_speedups_session.py compares
  with Rasa's own `EndpointConfig.request`.
- Rebuilding a tracker from its stored events (every turn), Rasa finds each event's class by
  walking the whole tree of Event subclasses (`all_subclasses`, recursive, with an
  `inspect.isabstract` per class): most of the time of `DialogueStateTracker.from_dict`. The
  class found for a type name is now remembered; a name not yet seen still goes through
  Rasa's own search (so an event class defined later is found, an unknown name raises the
  same error). tests/unit/rasa_plugins/test_speedups_events.py compares with Rasa's.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import ssl
from typing import Any, Dict, Optional, Text

import aiohttp
import rasa
from aiohttp.client_exceptions import ContentTypeError
from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.core.featurizers.precomputation import MessageContainerForCoreFeaturization
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT
from rasa.utils.tensorflow.constants import MODEL_CONFIDENCE, SOFTMAX
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

UNUSED_SPACY_COMPONENTS = ("ner",)  # "parser": Rasa loads it disabled already
_rasa_load_spacy_model = SpacyNLP.load_model
_rasa_model_load = RasaModel.load.__func__
_rasa_ted_predict = TEDPolicy.predict_action_probabilities
_rasa_endpoint_request = EndpointConfig.request
_rasa_resolve_event = Event.resolve_by_type
_event_classes: dict[str, type] = {}
KEEPALIVE_SECONDS = 2.0  # an idle connection is closed before the server's keep-alive (Sanic: 5 s) ends it

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """Rasa's own response schema, checked once, in the validator `jsonschema.validate` picks."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_with_cached_schema(result: Any) -> None:
    """`jsonschema.validate(result, schema)` without re-checking the schema: raises the same
    ValidationError (the best match of all errors) for an invalid answer."""
    error = exceptions.best_match(action_response_validator().iter_errors(result))
    if error is not None:
        raise error


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result of Rasa 3.6 with the validator built once."""
    try:
        validate_with_cached_schema(result)
        return True
    except exceptions.ValidationError as error:
        # Rasa's own hint, word for word (rasa/core/actions/action.py).
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error


@functools.lru_cache(maxsize=None)
def load_spacy_model_once(spacy_model_name: str) -> SpacyModel:
    """Rasa's SpacyNLP.load_model (its checks and error messages), once per model name,
    with the components nothing uses switched off."""
    spacy_model = _rasa_load_spacy_model(spacy_model_name)
    for name in UNUSED_SPACY_COMPONENTS:
        if name in spacy_model.model.pipe_names:
            spacy_model.model.disable_pipe(name)
    return spacy_model


def load_rasa_model(cls: type[RasaModel], model_file_name: str, model_data_example: RasaModelData,
                    predict_data_example: RasaModelData | None = None, finetune_mode: bool = False,
                    *args: Any, **kwargs: Any) -> RasaModel:
    """RasaModel.load of Rasa 3.6, its weights created by one eager forward pass."""
    if finetune_mode:  # training goes on: the optimizer's state is needed
        return _rasa_model_load(cls, model_file_name, model_data_example, predict_data_example,
                                finetune_mode, *args, **kwargs)
    import tensorflow as tf

    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
                  run_eagerly=config.get(RUN_EAGERLY))
    batch_in, _ = RasaBatchDataGenerator(model_data_example, batch_size=1)[0]
    model._training = True  # the training forward pass, as in RasaModel.train_step: every layer is built
    model.batch_loss(batch_in)
    model._training = None
    # The optimizer's saved state is only needed to train further: not restored.
    model.load_weights(model_file_name).expect_partial()
    if predict_data_example:
        model.run_inference(predict_data_example)  # traces the prediction graph now, not on the first turn
    return model


class DeferredPrediction(PolicyPrediction):
    """A policy's prediction computed the first time anything reads it: to Rasa's own code it
    is the prediction itself. Only our ensemble (`combine_predictions_from_kwargs`) looks at
    it without reading it, and leaves it uncomputed when it cannot change the decision."""

    def __init__(self, compute: Any, policy_priority: int) -> None:  # the attributes: compute()'s
        self.__dict__["_compute"] = compute
        self.__dict__["_deferred_priority"] = policy_priority

    @property
    def computed(self) -> bool:
        return "_compute" not in self.__dict__

    def __getattr__(self, name: str) -> Any:  # only for attributes not set yet: compute them
        if name.startswith("__") or "_compute" not in self.__dict__:
            raise AttributeError(name)
        self.__dict__.update(self.__dict__.pop("_compute")().__dict__)
        return getattr(self, name)


# The signatures below are Rasa's own, `self` unannotated: Rasa's graph validation reads the
# annotated parameters of a component's run function as inputs it must be given (a training
# from scratch failed with « needs the param 'self' » when `self` was annotated).
def deferred_ted_predict(self, tracker: DialogueStateTracker, domain: Domain,
                         rule_only_data: Optional[Dict[Text, Any]] = None,
                         precomputations: Optional[MessageContainerForCoreFeaturization] = None,
                         **kwargs: Any) -> PolicyPrediction:
    """TEDPolicy.predict_action_probabilities, computed when first read. Only where TED can
    make neither an end-to-end prediction (it has no text features, so it predicts from
    the intent: `_pick_confidence` returns `only_e2e`, False) nor a confidence above 1.0
    (softmax confidences; renormalising the top ones keeps them at most 1.0)."""
    def compute() -> PolicyPrediction:
        return _rasa_ted_predict(self, tracker, domain, rule_only_data, precomputations, **kwargs)

    if TEXT in self.fake_features or self.config.get(MODEL_CONFIDENCE) != SOFTMAX:
        return compute()
    return DeferredPrediction(compute, self.priority)


def _last_action_rejected(tracker: Any) -> bool:
    """As DefaultPolicyPredictionEnsemble._best_policy_prediction decides it."""
    last = next((event for event in reversed(tracker.events)
                 if isinstance(event, (ActionExecutionRejected, ActionExecuted))), None)
    return isinstance(last, ActionExecutionRejected)


def decided_without(predictions: list[PolicyPrediction], tracker: Any) -> bool:
    """Whether Rasa's ensemble picks the same prediction, and gathers the same events, with or
    without the deferred predictions, whatever they hold. A deferred prediction (TED's, above)
    is neither "no user" nor end-to-end, has no mandatory events and no confidence above 1.0.
    So it cannot win when another prediction is "no user" (those overrule the others), or
    end-to-end (those overrule the rest), or has confidence 1.0 with a strictly higher
    priority (`_pick_best_policy` compares (confidence, priority)). Not after a rejected
    action: Rasa first zeroes that action in every prediction."""
    deferred = [p for p in predictions if isinstance(p, DeferredPrediction) and not p.computed]
    known = [p for p in predictions if not isinstance(p, DeferredPrediction) or p.computed]
    if not deferred or not known or _last_action_rejected(tracker):
        return False
    if any(p.is_no_user_prediction or p.is_end_to_end_prediction for p in known):
        return True
    top = max(p.__dict__["_deferred_priority"] for p in deferred)
    return any(p.max_confidence >= 1.0 and p.policy_priority > top for p in known)


def combine_predictions_from_kwargs(self, tracker: DialogueStateTracker, domain: Domain,
                                    **kwargs: Any) -> PolicyPrediction:
    """PolicyPredictionEnsemble.combine_predictions_from_kwargs of Rasa 3.6, leaving out the
    deferred predictions that cannot change the outcome (without computing them)."""
    predictions = [value for value in kwargs.values() if isinstance(value, PolicyPrediction)]
    if decided_without(predictions, tracker):
        predictions = [p for p in predictions if not isinstance(p, DeferredPrediction) or p.computed]
    return self.combine_predictions(predictions=predictions, tracker=tracker, domain=domain)


def endpoint_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The endpoint's session on the running event loop: EndpointConfig.session()'s settings
    (headers, basic auth, timeout), created once; cookies are not kept from one call to the next."""
    loop = asyncio.get_running_loop()
    cached = endpoint.__dict__.get("_speedups_session")
    if cached and cached[0] is loop and not cached[1].closed:
        return cached[1]
    auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"]) \
        if endpoint.basic_auth else None
    session = aiohttp.ClientSession(headers=endpoint.headers, auth=auth,
                                    timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                    cookie_jar=aiohttp.DummyCookieJar(),
                                    connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS))
    endpoint.__dict__["_speedups_session"] = (loop, session)
    return session


async def endpoint_request(self: EndpointConfig, method: str = "post", subpath: str | None = None,
                           content_type: str | None = "application/json", compress: bool = False,
                           **kwargs: Any) -> Any:
    """EndpointConfig.request of Rasa 3.6 (rasa/utils/endpoints.py) through the endpoint's
    lasting session instead of a new one per call."""
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs["headers"])
        del kwargs["headers"]
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(f"Failed to find certificate file, "
                                        f"'{os.path.abspath(self.cafile)}' does not exist.") from e
    session = endpoint_session(self)
    async with session.request(method, url, headers=headers, params=self.combine_parameters(kwargs),
                               compress=compress, ssl=sslcontext, **kwargs) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


def resolve_event_by_type(type_name: str, default: type | None = None) -> type | None:
    """Event.resolve_by_type of Rasa 3.6, the class found for each type name remembered."""
    cls = _event_classes.get(type_name)
    if cls is not None:
        return cls
    try:
        cls = _rasa_resolve_event(type_name)
    except ValueError:  # unknown: Rasa's default, or its error
        if default is not None:
            return default
        raise
    if cls is not None:  # None: the legacy "topic" event, dropped
        _event_classes[type_name] = cls
    return cls


# The patches replace private Rasa functions whose code they mirror: checked against this
# version only (tests/unit/rasa_plugins/test_speedups.py, tests/e2e/test_rasa_speedups.py). Another version runs Rasa's own, slower code.
PATCHED_RASA_VERSION = "3.6.21"


def install() -> bool:
    """Idempotent: the Rasa server may load our modules more than once. False (and Rasa's
    own code) on a Rasa version the patches were not checked against."""
    if rasa.__version__ != PATCHED_RASA_VERSION:
        logger.warning("Rasa %s, not %s: the speed-ups of bot/rasa_plugins/speedups.py are not installed.",
                       rasa.__version__, PATCHED_RASA_VERSION)
        return False
    RemoteAction._validate_action_result = _validate_action_result
    SpacyNLP.load_model = staticmethod(load_spacy_model_once)
    RasaModel.load = classmethod(load_rasa_model)
    TEDPolicy.predict_action_probabilities = deferred_ted_predict
    DefaultPolicyPredictionEnsemble.combine_predictions_from_kwargs = combine_predictions_from_kwargs
    EndpointConfig.request = endpoint_request
    Event.resolve_by_type = staticmethod(resolve_event_by_type)
    return True
