"""What the local buyer can say: phrase banks, and the helpers that turn persona notes into speech.

Kept apart from the dialogue logic so the words can be tuned without touching the rules. Every
bank has several lines because the buyer never says the same line twice in a conversation; the
dialogue manager falls through a bank until it finds one that is new and does not echo the rep.
"""

from __future__ import annotations

import re

from quotahit.practice.personas import Objection, Persona

# A line is "warm" above this warmth and "cool" below the next one; banks keyed by tone use them.
WARM_TONE, COOL_TONE = 0.55, 0.25

PAIN_PREFIXES: dict[str, tuple[str, ...]] = {
    "warm": (
        "Honestly?",
        "Good question.",
        "I'll be straight with you.",
        "Since you ask, here's the real issue.",
        "Okay, here's what's really going on.",
        "Funny you should ask.",
    ),
    "cool": ("Fine.", "Short version.", "One thing.", "If you must know.", "Alright."),
}
PAIN_SUFFIXES = (
    "It's been a headache all year.",
    "And it's getting worse, not better.",
    "That's the part that keeps me up at night.",
    "Nobody has cracked it yet.",
    "It lands on my desk every week.",
)
GOAL_PREFIXES = (
    "What I need this year?",
    "My priority is simple.",
    "Here's what success looks like for me.",
    "The big goal?",
    "Top of my list right now?",
    "Where I want to get to?",
)
GOAL_SUFFIXES = (
    "That's what I'll be judged on.",
    "Everything else is secondary.",
    "That's the bar.",
)
GUARDED_ANSWERS: dict[str, tuple[str, ...]] = {
    "warm": (
        "Sometimes, yes. Ask me something more specific and I'll give you more.",
        "In places. What are you really trying to find out?",
        "Yes and no. It depends on the team.",
    ),
    "neutral": (
        "We get by.",
        "Some of that, sure.",
        "It comes up.",
        "Depends who you ask.",
        "Maybe. What makes you ask?",
    ),
    "cool": ("We manage.", "Sometimes. Why?", "That's a yes-or-no question.", "Not really.", "Hm."),
}
ALL_SAID = (
    "That's really the heart of it.",
    "I think you've got the full picture now.",
    "There's no hidden extra problem, if that's what you're after.",
    "That covers the big things on my side.",
)
QUALIFICATION_ANSWERS: dict[str, tuple[str, ...]] = {
    "authority": (
        "I make the recommendation, but {approver} signs off.",
        "It's my call to bring it forward. {approver_cap} has the final say on spend.",
        "I'd own it day to day, and {approver} would approve it.",
    ),
    "budget": (
        "There's no line item for this yet. It would have to earn one.",
        "We have some budget, but it's spoken for until someone makes a case.",
        "Budget exists for things that pay back. Show me that and we'll talk.",
    ),
    "timeline": (
        "If it's worth doing, I'd want something in place within a quarter.",
        "Nothing's urgent until it is. Realistically, next quarter.",
        "We plan in quarters, so next quarter at the earliest.",
    ),
    "process": (
        "You'd need me, a security review, and procurement. Usually six to eight weeks.",
        "A short evaluation, a reference call, then legal. Nothing exotic.",
        "I test it with a small group first, then it goes to {approver}.",
    ),
}
QUALIFICATION_TOPICS: dict[str, re.Pattern[str]] = {
    "authority": re.compile(r"\b(who|decision|decide|approv\w*|sign\w*|involved|final say)\b"),
    "budget": re.compile(r"\b(budget\w*|spend\w*|funding|afford|money)\b"),
    "timeline": re.compile(r"\b(timeline|timeframe|deadline|when|quarter|by when|how soon)\b"),
    "process": re.compile(r"\b(process|procurement|legal|review|steps|evaluat\w*)\b"),
}
GREETINGS: dict[str, tuple[str, ...]] = {
    "cold_call": (
        "I've got thirty seconds. What's this about?",
        "Make it quick, what are you calling about?",
        "I'm about to walk into something. What is it?",
    ),
    "cool": (
        "Fine. What's this about?",
        "Let's skip the small talk. What do you want to cover?",
        "Busy. What did you want?",
    ),
    "neutral": (
        "Doing well, thanks. What did you want to cover?",
        "Good, thanks for asking. Where do you want to start?",
        "Busy, but good. What's on your mind?",
    ),
    "warm": (
        "Oh, I'm doing great, thanks for asking! What can I do for you?",
        "Good, thank you! It's been a full week. So, what's on your mind?",
        "Can't complain, thanks. What would you like to talk about?",
    ),
}
LATE_SMALL_TALK = (
    "Sure. Anyway, where were we?",
    "Let's stay on topic, if you don't mind.",
    "Mm. What else did you want to ask me?",
)
INTERRUPTIONS = (
    "Let me stop you there.",
    "Hang on, that was a lot.",
    "Okay, slow down a second.",
    "I've lost the thread, to be honest.",
)
EARLY_PITCH = (
    "You don't know anything about my situation yet.",
    "You're pitching before you've asked me a single question.",
    "That's a lot of features, and none of them are about us.",
    "I've heard that pitch from three vendors this month.",
)
RELEVANT_PITCH = (
    "Okay, that's closer to what I need.",
    "That would actually help with what I described.",
    "Now that connects to my problem.",
    "Alright, I can see how that fits.",
)
IRRELEVANT_PITCH = (
    "I'm not sure how that helps us.",
    "How does that help with the problems I actually have?",
    "That's nice, but it's not my problem.",
    "I don't see what that changes for my team.",
)
OBJECTION_LEADS = ("Here's my concern, though.", "One thing, though.", "Which raises a question.")
FIRM_PREFIXES = (
    "You didn't answer my question.",
    "Hold on, you skipped past that.",
    "Let me come back to my point.",
    "That doesn't address what I asked.",
    "I'm going to press you on this.",
)
FIRM_RESTATEMENTS: dict[str, tuple[str, ...]] = {
    "price": (
        "I still haven't heard why this is worth the money.",
        "Let's not skip the cost question; it's the one that decides this.",
        "Until the price makes sense, the rest doesn't matter much.",
    ),
    "timing": (
        "I still don't see how we'd fit this in right now.",
        "The timing problem hasn't gone away just because we moved on.",
        "You haven't told me how this works when my people have no time.",
    ),
    "competitor": (
        "I still need to know why this beats what we already have.",
        "You haven't told me what this does that our current tool doesn't.",
        "Why would I run two tools? That question still stands.",
    ),
    "authority": (
        "I told you this isn't only my decision, and that still matters.",
        "You'll need more than me on board, and I haven't heard how.",
        "Who else needs convincing is still an open question.",
    ),
    "security": (
        "I still don't know where our data would live.",
        "Security isn't a detail here; I need that answered first.",
        "Until I understand how you protect our data, this goes nowhere.",
    ),
    "status_quo": (
        "I still don't see why we'd change what already works.",
        "You haven't told me what's wrong with how we do it now.",
        "Change has a cost, and I haven't heard why it's worth it.",
    ),
    "need": (
        "I'm still not convinced we need this at all.",
        "You haven't shown me a problem this solves for us.",
        "Why would my team actually use it? That's still open.",
    ),
    "trust": (
        "I still need a reason to believe this will work for us.",
        "Promises are cheap; I'm still waiting for evidence.",
        "Why should I trust these claims? You haven't said.",
    ),
}
GENERIC_OBJECTIONS: dict[str, tuple[str, ...]] = {
    "price": (
        "That's more than I budgeted for something like this.",
        "I can't justify new spend without a clear return.",
    ),
    "timing": (
        "The timing is bad. We're stretched thin this quarter.",
        "Let's revisit this next quarter; now isn't the moment.",
    ),
    "competitor": (
        "We already use something that covers most of this.",
        "I've got another vendor pitching me the same thing next week.",
    ),
    "authority": (
        "This isn't only my call. Others would need to weigh in.",
        "I'd have to take this to my boss before anything moves.",
    ),
    "security": (
        "I'd need to know exactly where our data goes.",
        "Anything touching customer data needs a security review first.",
    ),
    "status_quo": (
        "What we do today works well enough.",
        "My team has a process already. Why change it?",
    ),
    "need": ("I'm not convinced we need this.", "I'm not sure this solves a problem we have."),
    "trust": (
        "Every vendor promises results. Why should I believe you?",
        "I've been burned by tools like this before.",
    ),
}
# The price objection a persona without one raises, by the first industry keyword that matches.
INDUSTRY_PRICE_OBJECTIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("saas", "software", "tech"),
        "We're watching every software seat this year. What does this cost per rep?",
    ),
    (
        ("health", "clinic", "medical", "care"),
        "Clinics run on thin margins. This would have to be cheap to try.",
    ),
    (
        ("financ", "bank", "insur", "wealth"),
        "Every cost needs a payback case here. What's the total, all in?",
    ),
    (("retail", "store", "commerce"), "Retail margins are thin. Per store, what are we talking?"),
)
OBJECTION_CLARIFICATIONS: dict[str, tuple[str, ...]] = {
    "price": (
        "Mostly against doing nothing, to be honest. Every dollar has to earn its place.",
        "It's less the number and more whether I can defend it to finance.",
        "If it paid for itself within the year, the number would matter less.",
    ),
    "timing": (
        "If it barely took time away from the day job, I could make room.",
        "Something small now and a bigger rollout later might work.",
        "It's about bandwidth, not interest.",
    ),
    "competitor": (
        "What we have covers the basics. It doesn't help people practise.",
        "Honestly, the current tool is more about recording than improving.",
        "If this did something ours can't, I'd listen.",
    ),
    "authority": (
        "My boss cares about one thing: measurable impact.",
        "If I can bring a clear case, they'll usually back me.",
        "Finance and my manager would both want a say.",
    ),
    "security": (
        "Data location, who can access it, and a current audit report. That's the list.",
        "If your documentation is solid, the security review is a formality.",
        "We've had a scare before, so I'm careful.",
    ),
    "status_quo": (
        "What we do works, but it doesn't scale with the team.",
        "Honestly, it depends on a few people doing it well.",
        "It's fine, just not measurable.",
    ),
    "need": (
        "If my team would actually use it, that changes things.",
        "Show me it fits how we work and I'm open.",
        "The need is there; I'm just not sure this is the answer.",
    ),
    "trust": (
        "A reference from a company like ours would go a long way.",
        "Numbers from a team our size would convince me.",
        "I'd want to start small and see it work first.",
    ),
}
OBJECTION_ACCEPTED = (
    "Fair enough, that's a better answer than I usually get.",
    "Okay, I appreciate you not brushing that off.",
    "That's a reasonable question.",
    "Good, you're actually listening.",
    "Alright, I can work with that.",
)
OBJECTION_ANSWERED = ("Okay, that helps.", "Alright, that's clearer.", "That's a start.")
WIN_ACKNOWLEDGEMENTS = (
    "Now that's the right question.",
    "Good, that's what I care about.",
    "That's exactly the kind of thing I need to hear.",
    "I appreciate that.",
    "See, that's useful.",
)
SUMMARY_CONFIRMS = (
    "Yes, that's it exactly.",
    "That's a fair summary.",
    "You were listening. Yes.",
    "Right, that's the picture.",
)
SUMMARY_BRIDGES = ("And there's more to it.", "There's another piece, actually.")
NEXT_STEP_SLOTS = ("Tuesday at 10", "Thursday at 2", "Wednesday morning", "Friday at 9")
NEXT_STEP_AGREEMENTS = (
    "{slot} works; send the invite and include {colleague}.",
    "Let's do {slot}. Put it in my calendar and add {colleague}.",
    "Okay, {slot}. Send the invite and I'll bring {colleague}.",
)
NEXT_STEP_NOT_YET = (
    "I don't even know what we'd be meeting about yet.",
    "Booking time feels premature. You haven't learned much about us.",
)
STALLS = (
    "Send me something by email and I'll take a look.",
    "I'm not ready to commit to anything yet.",
    "Let me think about it and get back to you.",
    "Put something in writing and I'll see if it's worth it.",
    "I'd rather not lock anything in today.",
)
HANG_UPS = (
    "I need to jump to another meeting.",
    "Thanks for your time, but I need to jump to another meeting.",
    "I don't think this is a fit right now. I need to jump to another meeting.",
)
WRAP_UPS: dict[str, tuple[str, ...]] = {
    "agreed": (
        "Good. I'll look out for the invite.",
        "Great, talk then.",
        "Perfect. Speak soon.",
    ),
    "ended": ("I really do have to go.", "Goodbye.", "We're done for today."),
}
STAGE_NUDGES: dict[str, tuple[str, ...]] = {
    "opening": ("So what's this about?", "Where do you want to start?"),
    "discovery": ("Okay. What else do you want to know?", "Go on, ask away."),
    "solution": ("So how would this work for us?", "What would that look like for my team?"),
    "objections": ("What else have you got?", "Convince me."),
    "commitment": ("So what do you suggest as a next step?", "Where do we go from here?"),
}
AI_DEFLECTIONS = (
    "Ha. Last I checked I'm the one with the budget. Where were we?",
    "I get asked odd things on calls, but that's a new one. Anyway?",
)
DROPOUTS = ("Sorry, you cut out there.", "Hello? Are you still there?")
STACKED_QUESTIONS = ("One question at a time, please.", "That's a lot of questions at once.")
# Two short banks whose pairings (at most four words) can never hold a five-word run of anything.
SHORT_FIRST = (
    "Okay.",
    "Right.",
    "Hmm.",
    "Sure.",
    "I see.",
    "Alright.",
    "Mm-hm.",
    "Fine.",
    "Noted.",
)
SHORT_SECOND = (
    "Go on.",
    "And?",
    "Continue.",
    "Keep going.",
    "Then what?",
    "Meaning?",
    "Go ahead.",
    "Say more.",
    "I'm listening.",
)
COLD_CALL_OPENERS = ("Sorry, who's this?", "Do I know you?", "Who is this, sorry?")
COLD_CALL_BUSY = (
    "I've got a meeting in two minutes.",
    "I'm right in the middle of something.",
    "You caught me between meetings.",
)
SCENARIO_OPENERS: dict[str, tuple[str, ...]] = {
    "product_demo": (
        "I want to see how this would work for us, not a generic tour.",
        "Show me the parts that matter for a team like mine.",
    ),
    "renewal": (
        "Our renewal is coming up, and I'm not sure we've seen the return.",
        "I'll be honest, I'm still deciding whether we renew.",
    ),
}

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_THIRD_PERSON = (
    (re.compile(r"\b(?:he|she) is\b", re.IGNORECASE), "I am"),
    (re.compile(r"\b(?:he|she) (has|does|was)\b", re.IGNORECASE), None),
    (re.compile(r"\b(?:he|she)\b", re.IGNORECASE), "I"),
    (re.compile(r"\b(?:himself|herself)\b", re.IGNORECASE), "myself"),
    (re.compile(r"\bhis\b", re.IGNORECASE), "my"),
    (re.compile(r"\bhim\b", re.IGNORECASE), "me"),
    (re.compile(r"\bher(?=\s+(?:to|with|and|in|on|for|a|an|the|about|from)\b|[.,;!?]|$)"), "me"),
    (re.compile(r"\bher\b", re.IGNORECASE), "my"),
)
_FIRST_PERSON_VERB = {"has": "have", "does": "do", "was": "was"}


def sentences(text: str) -> list[str]:
    """Split on sentence ends, so replies can be capped at three sentences."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def first_person(note: str, persona: Persona) -> str:
    """Turn a profile note written about the buyer ("leave him to integrate") into their words."""
    text = note.strip().rstrip(".")
    first_name = persona.name.split()[0] if persona.name.strip() else ""
    for name in (persona.name, first_name):
        if name:
            text = re.sub(rf"\b{re.escape(name)}'s\b", "my", text)
    for pattern, replacement in _THIRD_PERSON:
        if replacement is None:
            text = pattern.sub(lambda match: "I " + _FIRST_PERSON_VERB[match[1].lower()], text)
        else:
            text = pattern.sub(replacement, text)
    return text[:1].upper() + text[1:] + "."


def approver(persona: Persona) -> str:
    """Who signs off above this buyer, guessed from the title so custom personas work too."""
    title = persona.title.lower()
    if re.search(r"\b(chief|ceo|cfo|cto|cio|coo|founder|owner|president)\b", title):
        return "the board"
    if re.search(r"\b(vp|vice president|head)\b", title):
        return "our CEO"
    if "director" in title:
        return "my VP"
    if "manager" in title:
        return "my director"
    return "my manager"


def colleague(persona: Persona) -> str:
    """The person this buyer would bring to the next meeting, so an agreement sounds concrete."""
    title = f"{persona.title} {persona.industry}".lower()
    for keywords, who in (
        (("finance", "cfo", "financial"), "our controller"),
        (("it ", "technology", "engineering", "security", "cto", "cio"), "our security lead"),
        (("marketing", "brand"), "our retail ops lead"),
        (("sales", "revenue"), "my ops lead"),
        (("operations", "health"), "my director"),
    ):
        if any(keyword in f"{title} " for keyword in keywords):
            return who
    return "my ops lead"


def qualification_answers(topic: str, persona: Persona) -> list[str]:
    """How this buyer answers a question about authority, budget, timeline or process."""
    who = approver(persona)
    return [
        line.format(approver=who, approver_cap=who[:1].upper() + who[1:])
        for line in QUALIFICATION_ANSWERS[topic]
    ]


def agreements(persona: Persona, day: str | None) -> list[str]:
    """Concrete yeses to a proposed meeting: the rep's day if they named one, and who comes."""
    who = colleague(persona)
    slots = [day] if day else NEXT_STEP_SLOTS
    return [
        template.format(slot=slot, colleague=who)
        for template in NEXT_STEP_AGREEMENTS
        for slot in slots
    ]


def fallback_objections(persona: Persona) -> tuple[Objection, ...]:
    """Generic objections added after the persona's own, so every buyer has enough to raise.

    A persona without a price objection gets one for its industry (pricing always comes up), and
    one with fewer than four gets generic ones of kinds it lacks.
    """
    kinds = {objection.kind for objection in persona.objections}
    extra: list[Objection] = []
    if "price" not in kinds:
        industry = persona.industry.lower()
        line = next(
            (line for keys, line in INDUSTRY_PRICE_OBJECTIONS if any(k in industry for k in keys)),
            GENERIC_OBJECTIONS["price"][0],
        )
        extra.append(Objection("price", line))
    for kind in ("timing", "need", "trust", "status_quo", "authority"):
        if len(persona.objections) + len(extra) >= 4:
            break
        if kind not in kinds:
            extra.append(Objection(kind, GENERIC_OBJECTIONS[kind][0]))
    return tuple(extra)


GENERIC_PAINS = (
    "The team is stretched thin and everything takes longer than it should",
    "New people take too long to get up to speed",
    "We don't have a good way to see what's working and what isn't",
)
GENERIC_GOALS = (
    "Get more done this year without adding headcount",
    "Show my boss measurable progress by the end of the year",
)
PRICE_NOTED = (
    "Noted. I'll want that in writing, with the terms.",
    "Okay. I'll need to see how that compares.",
    "That's roughly what I expected. It still has to pay back.",
)
