"""Imports every module's tables so SQLModel's metadata (Alembic, tests) sees all of them."""

from sqlmodel import SQLModel

from quotahit.accounts import models as accounts_models
from quotahit.analysis import models as analysis_models
from quotahit.apitokens import models as apitokens_models
from quotahit.audit import models as audit_models
from quotahit.coach import models as coach_models
from quotahit.keys import models as keys_models
from quotahit.outbox import models as outbox_models
from quotahit.practice import models as practice_models
from quotahit.usage import models as usage_models

metadata = SQLModel.metadata
MODULES = (
    accounts_models,
    analysis_models,
    apitokens_models,
    audit_models,
    coach_models,
    keys_models,
    outbox_models,
    practice_models,
    usage_models,
)
