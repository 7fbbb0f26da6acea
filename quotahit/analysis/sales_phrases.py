"""The phrases the local engine listens for: objections, acknowledgements, answers, dated next
steps, agreement and the prospect's name.

Kept apart from the logic that uses them (`call_cues.py`) so the vocabulary can grow on its own;
a comment says why where a pattern guards against a known false match.
"""

from __future__ import annotations

import re


def _pattern(alternatives: str) -> re.Pattern[str]:
    """Whole-word, case-insensitive alternatives (`a|b|c`)."""
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


OBJECTIONS: dict[str, re.Pattern[str]] = {
    "price": _pattern(
        r"too (?:expensive|pricey|much|high)|expensive|pricey|cheaper|no budget|come down|"
        r"(?:out of|over|above) (?:our|the|my) budget|spend flat|pay (?:about |only )?half|"
        r"(?:budget|spend) is (?:tight|gone|spent|frozen|flat|limited)|"
        r"still leaves (?:me|us) above|"
        r"(?:can't|cannot|can not) afford|costs? too much|(?:number|price|cost) doesn't work|"
        r"(?:price|pricing|cost) is (?:too|a bit|quite|really|way|an issue|a problem|a concern)"
    ),
    "timing": _pattern(
        r"not (?:a|the) (?:priority|right time)|bad time|not right now|maybe later|too busy|"
        r"no time (?:for|to)|not until|(?:a lot|too much) going on|"
        r"(?:revisit|circle back|come back to (?:this|it|us)) (?:later|in|next)|"
        r"timing (?:is|isn't) (?:not )?(?:right|great|ideal|good)"
    ),
    "competitor": _pattern(
        r"already (?:use|using|have|work with|signed with|pay for)|competitor|a quote from|"
        r"(?:we're|we are) (?:pretty |quite |really |very )?(?:happy|fine|good|set) with|"
        r"another (?:vendor|tool|provider|solution)|(?:current|existing) (?:vendor|tool|provider)"
    ),
    "authority": _pattern(
        r"not my (?:call|decision|budget)|decision maker|above my pay grade|procurement|"
        r"(?:run|check) (?:it|this|that) (?:by|with)|check with my|"
        r"(?:let me|i'll|i need to|i have to|i'd have to) "
        r"(?:talk to|check with|run (?:it|this) by|take (?:it|this) to)|"
        r"need (?:to get )?(?:sign[- ]off|approval)|(?:has|have|needs?) to approve|"
        r"(?:my|our) (?:boss|manager|vp|cfo|ceo|director|board) (?:would|will|has to|decides)"
    ),
    "security": _pattern(
        r"(?:vendor|security) (?:risk )?review|where does (?:the|our) data|"
        r"data (?:leaving|residency)|"
        r"(?:train|training) (?:\w+ )?(?:models?|ai) on (?:our|the) data|right to audit|soc ?2|"
        r"single sign-on|sso|saml|scim|gdpr|hipaa|iso ?27001|compliance|infosec|data protection"
    ),
    "risk": _pattern(
        r"(?:real|big|huge|too much) risk|risky|long commitment|locked in|stuck paying|"
        r"what if it doesn't work|seen this (?:movie|before)|burned before|not a no-brainer"
    ),
}
# Buyers name security requirements without objecting ("send me the SOC 2"): only a line that
# also sounds worried counts as a security objection.
CONCERN = re.compile(
    r"\?|\b(?:not|don't|doesn't|can't|won't|no|never|too|but|worr\w*|concern\w*|risk\w*|"
    r"problem|issue|need to know|push back|fall over|at all)\b",
    re.IGNORECASE,
)
NEEDS_CONCERN = frozenset({"security"})
_EMPATHY = (
    r"i hear you|i (?:completely |totally )?(?:understand|get) (?:it|that|why|how|the concern)|"
    r"i (?:completely |totally )?understand(?=[.,!;])|i can (?:imagine|see why|see how)|"
    r"sorry to hear|totally (?:get|understand)|makes (?:total |complete |a lot of )?sense|"
    r"(?:that|it) (?:sounds|must be|must have been|'s) "
    r"(?:tough|hard|frustrating|painful|difficult|stressful|a lot)|"
    r"sounds (?:tough|hard|frustrating|painful|difficult|stressful)"
)
EMPATHY = _pattern(_EMPATHY)
ACKNOWLEDGE = _pattern(
    _EMPATHY + r"|fair (?:point|enough|question|concern|worry)|understandable|understood|"
    r"(?:good|great|valid|real) (?:point|question|concern)|you're right|of course|"
    r"that's (?:fair|reasonable|helpful|a (?:fair|real|common|valid) (?:concern|point|worry))|"
    r"that helps|thanks for (?:being|sharing|the honesty|telling|raising)|"
    r"i appreciate (?:that|the|your|you)"
)
# "I hear you, but..." takes the acknowledgement back.
BUT = re.compile(r"\b(?:but|however)\b", re.IGNORECASE)
# A question that offers something ("can I send you...") explores nothing.
OFFER = re.compile(
    r"^(?:so,? )?(?:(?:can|could|may|shall|should) i|do you want me|would you like me)\b",
    re.IGNORECASE,
)
# Nor does a leading one ("..., right?"): it asks for agreement, not for what lies behind.
LEADING = re.compile(
    r"\b(?:right|correct|yeah|isn't it|don't you think|wouldn't you agree|agreed)\?\s*$",
    re.IGNORECASE,
)
ANSWER = _pattern(
    r"roi|return on|pays? (?:for )?(?:itself|ourselves)|payback|sav(?:e|es|ed|ing)|"
    r"reduc(?:e|es|ed|ing)|customers?|case stud(?:y|ies)|for (?:example|instance)|pilot|trial|"
    r"discount|annual|flexible|integrat\w*|certified|encrypt\w*|complian\w*|references?|"
    r"compared (?:to|with)|unlike|agreement|in writing|written into|commit\w*|guarantee\w*|"
    r"report|audit\w*|region|soc ?2|gdpr|we can|we will|we'll|i can|\d+"
)
THANKS = _pattern(r"thank(?:s| you)|appreciate")
SMALL_TALK = _pattern(
    r"how are you|hope (?:you're|you are|you had|your)|"
    r"how(?:'s| is| was) (?:your|the) (?:day|week|weekend|morning|quarter|trip|holiday|conference)"
)
OPEN_QUESTION = re.compile(
    r"^(?:how|what|why|walk me|tell me|describe|help me understand)\b", re.IGNORECASE
)
DAY_OR_TIME = _pattern(
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|next week|"
    r"end of (?:the )?(?:day|week|month)|\d{1,2}(?::\d{2})? ?(?:am|pm)|at \d{1,2}(?::\d{2})?|"
    r"\d{1,2}(?:st|nd|rd|th)|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]* \d{1,2}"
)
# "On Monday our dialer went down" names a day, but it is not a next step.
PAST = _pattern(r"last|ago|yesterday|went|was|were|had|did|happened|used to")
FORWARD = _pattern(
    r"let's|let us|(?:can|could|shall|should) (?:we|i|you)|would you|(?:we|i|you)(?:'ll| will)|"
    r"how about|send|book|schedule|set up|calendar invite|follow[- ]up"
)
AGREE_START = re.compile(
    r"^\W*(?:yes|yeah|yep|sure|sounds (?:good|great|fine)|perfect|great|ok(?:ay)?|deal|"
    r"let's do (?:it|that)|absolutely|definitely|of course|happy to|works)\b",
    re.IGNORECASE,
)
AGREE_ANYWHERE = _pattern(
    r"(?:that|it|this|\w+day)(?: at [\w:]+)? works|works for (?:me|us|the|that)|sounds good|"
    r"see you (?:then|on)|let's (?:do it|say)|(?:is|sounds) (?:realistic|fine|good|great)"
)
# A buyer answering "who signs?" or "what's the budget?" informs; they do not object.
QUALIFYING = {
    "authority": _pattern(r"who|decid\w*|decision|approv\w*|sign\w*"),
    "price": _pattern(r"budget|price|pricing|cost|spend|pay"),
}
DECLINE = _pattern(
    r"not sure|let me think|i'll think|get back to you|no thanks|not interested|don't think so|"
    r"just send (?:me|us|over) (?:some|an|more|the) "
    r"(?:info|information|email|e-mail|material|deck)"
)
GREETING = r"(?i:hi|hey|hello|thanks|thank you|morning|afternoon|good to meet you)"
NAME_GREETING = re.compile(rf"\b{GREETING}[,!]?\s+([A-Z][a-z]+)\b")
NAME_FIRST = re.compile(r"^([A-Z][a-z]+), ")
NAME_INTRODUCTION = re.compile(r"\b(?i:this is|my name is|i'm|i am)\s+([A-Z][a-z]+)\b")
NOT_NAMES = frozenset(
    re.findall(
        r"\w+",
        "There Everyone All Team Guys Again So Yes No Well Great Good Sure Thanks Okay Ok It "
        "Just Glad Happy Fine Sorry Not Calling Here Really Doing Hi Hey Hello Morning Right "
        "Yeah Perfect Awesome Absolutely Totally Look Honestly Listen Alright Cool",
    )
)
