"""Electronic commercial drafts (电子商业汇票): issue, acceptance, a signed endorsement chain,
presentment, payment or dishonour, and recourse.

An :class:`ElectronicDraft` holds every act made on one draft, each a :class:`DraftAct` signed
with Ed25519 by the party entitled to it and chained to the one before by its digest, and runs
the draft's workflow over them. A :class:`DraftPolicy` holds the periods and limits of the rules
(《电子商业汇票业务管理办法》, 《商业汇票承兑、贴现与再贴现管理办法》, 《中华人民共和国票据法》,
and the Shanghai Commercial Paper Exchange's new-generation draft system). Pure domain code: no
storage, no gateway. Needs the ``crypto`` extra.
"""

from ecservice.payments.ebills._acts import (
    ACT_TYPE,
    GENESIS,
    ActKind,
    DishonourReason,
    DraftAct,
    sign_act,
    verify_act,
)
from ecservice.payments.ebills._draft import ElectronicDraft
from ecservice.payments.ebills._draft_core import TIMER_ACTOR
from ecservice.payments.ebills._draft_workflow import DRAFT_WORKFLOW
from ecservice.payments.ebills._errors import (
    ActChainBroken,
    DeadlinePassed,
    ForgedAct,
    MalformedAct,
    NonStandardAmount,
    NotTransferable,
    RecourseAmountExceeded,
    RecourseNotAllowed,
    TenorTooLong,
    WrongSigner,
)
from ecservice.payments.ebills._events import (
    DraftAccepted,
    DraftCancelled,
    DraftClosed,
    DraftDelivered,
    DraftDishonoured,
    DraftEndorsed,
    DraftExpired,
    DraftGuaranteed,
    DraftIssued,
    DraftPaid,
    DraftPresented,
    DraftStatus,
    RecourseClaimed,
    RecourseSettled,
)
from ecservice.payments.ebills._gateway import EbillGateway
from ecservice.payments.ebills._ledger import DraftPayment
from ecservice.payments.ebills._parties import DraftParty, DraftTerms
from ecservice.payments.ebills._policy import DEFAULT_DRAFT_POLICY, MAX_SUB_TICKETS, DraftPolicy

__all__ = [
    "ACT_TYPE",
    "DEFAULT_DRAFT_POLICY",
    "DRAFT_WORKFLOW",
    "GENESIS",
    "MAX_SUB_TICKETS",
    "TIMER_ACTOR",
    "ActChainBroken",
    "ActKind",
    "DeadlinePassed",
    "DishonourReason",
    "DraftAccepted",
    "DraftAct",
    "DraftCancelled",
    "DraftClosed",
    "DraftDelivered",
    "DraftDishonoured",
    "DraftEndorsed",
    "DraftExpired",
    "DraftGuaranteed",
    "DraftIssued",
    "DraftPaid",
    "DraftParty",
    "DraftPayment",
    "DraftPolicy",
    "DraftPresented",
    "DraftStatus",
    "DraftTerms",
    "EbillGateway",
    "ElectronicDraft",
    "ForgedAct",
    "MalformedAct",
    "NonStandardAmount",
    "NotTransferable",
    "RecourseAmountExceeded",
    "RecourseClaimed",
    "RecourseNotAllowed",
    "RecourseSettled",
    "TenorTooLong",
    "WrongSigner",
    "sign_act",
    "verify_act",
]
