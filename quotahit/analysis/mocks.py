"""Mock training calls: timed transcripts that can be analysed without any audio.

They let a new user try the Call Analyzer at once and give the analysis code realistic input to
be tested on. The six calls differ on purpose (a rep who listens, one who talks over the buyer,
one who never books a meeting...) so that their analyses differ too. The lines are written as
text and their timings computed from speaking rates and pauses (`_timed`), so editing a line
never means retyping every timestamp after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quotahit.analysis.metrics import PROSPECT, REP, Turn

# A turn that continues the same speaker's talk after a breath; under metrics.MERGE_GAP_SECONDS,
# so the two count as one stretch of talk.
BREATH_SECONDS = 0.4
# Nobody says even "Yes." in less than this.
SHORTEST_TURN_SECONDS = 0.6
# Cycled through so that pauses and speaking rates vary from turn to turn like real speech,
# yet every build gives the same timings.
PAUSE_WOBBLE = (1.0, 1.3, 0.75, 1.15, 0.9, 0.65, 1.2)
RATE_WOBBLE = (1.0, 0.95, 1.04, 0.97, 1.06, 1.02)
SHORTEST_PAUSE_SECONDS, LONGEST_PAUSE_SECONDS = 0.2, 1.5


@dataclass(frozen=True)
class MockCall:
    """A ready-made call to analyse: what it trains and its timed transcript."""

    slug: str
    title: str
    focus: str  # a key of judgement.FOCUSES
    description: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class _Line:
    speaker: str
    text: str
    # Seconds after the previous turn ends; negative starts while it is still going.
    gap: float | None = None


@dataclass(frozen=True)
class _Pace:
    rep_wpm: float
    prospect_wpm: float
    rep_pause: float  # before the rep answers: the "patience" metric
    prospect_pause: float


def _rep(text: str, gap: float | None = None) -> _Line:
    return _Line(REP, text, gap)


def _prospect(text: str, gap: float | None = None) -> _Line:
    return _Line(PROSPECT, text, gap)


def _timed(lines: Sequence[_Line], pace: _Pace) -> tuple[Turn, ...]:
    """Turns whose lengths follow from word counts and speaking rates, one after another.

    Raises:
        ValueError: an overlap would start a turn before the previous one, which no
            diarizer produces; the mock is written wrong.
    """
    turns: list[Turn] = []
    for index, line in enumerate(lines):
        is_rep = line.speaker == REP
        wpm = (pace.rep_wpm if is_rep else pace.prospect_wpm) * RATE_WOBBLE[
            index % len(RATE_WOBBLE)
        ]
        seconds = max(SHORTEST_TURN_SECONDS, len(line.text.split()) / wpm * 60)
        if not turns:
            start = 0.0
        else:
            previous = turns[-1]
            if line.gap is not None:
                gap = line.gap
            elif previous.speaker == line.speaker:
                gap = BREATH_SECONDS
            else:
                base = pace.rep_pause if is_rep else pace.prospect_pause
                wobbled = base * PAUSE_WOBBLE[index % len(PAUSE_WOBBLE)]
                gap = min(LONGEST_PAUSE_SECONDS, max(SHORTEST_PAUSE_SECONDS, wobbled))
            start = round(previous.end + gap, 2)
            if start <= previous.start:
                raise ValueError(f"Line {index} overlaps the whole previous turn: {line.text!r}")
        turns.append(Turn(line.speaker, start, round(start + seconds, 2), line.text))
    return tuple(turns)


DISCOVERY = MockCall(
    slug="discovery-northwind",
    title="Discovery: Northwind Logistics (accounts payable)",
    focus="discovery",
    description=(
        "Jordan Ellis of Ledgerline, an accounts-payable automation tool, runs a first discovery "
        "call with Priya Raman, VP Finance at Northwind Logistics, a freight company with 400 "
        "carriers. A rep who asks and listens, and books a working session."
    ),
    turns=_timed(
        [
            _rep(
                "Hi Priya, it's Jordan Ellis from Ledgerline. Thanks for making the time this "
                "afternoon. I have us down for thirty minutes, if that still works."
            ),
            _prospect("Yes, this works. I do have a hard stop at half past, though."),
            _rep(
                "Understood, I'll keep us on time. I'd love to spend most of today learning how "
                "your team works, and only if there's a fit would I show you anything. I hope "
                "that sounds fair."
            ),
            _prospect("Sure, that's fine."),
            _rep(
                "Great. To start, can you walk me through how a carrier invoice gets from the "
                "carrier into your books today?"
            ),
            _prospect(
                "Honestly, it's a bit of a journey. We work with about four hundred carriers, "
                "and maybe sixty of them send us anything electronic. Everything else arrives as "
                "a PDF in a shared inbox, and a few of the smaller owner-operators still mail "
                "paper, if you can believe it. Two people on my team open every one of those, "
                "type the load number, the amount and the accessorial charges into our ERP, "
                "which is NetSuite, and then they have to find the rate confirmation that "
                "operations agreed with the carrier, which lives in our transport management "
                "system, not in NetSuite."
            ),
            _prospect(
                "So they have two screens open all day, comparing numbers by eye. If detention "
                "or a lumper fee shows up that nobody approved, the invoice goes into a "
                "spreadsheet we call the problem tab, and somebody emails the dispatcher who "
                "booked the load. Half the time the dispatcher is on the road or has left the "
                "company, and the invoice just sits there. Last quarter we had a carrier put us "
                "on credit hold because three of their invoices were sitting in that tab for "
                "sixty days, and that carrier moves about a fifth of our volume out of Memphis. "
                "My CFO heard about it from our COO before she heard about it from me, which was "
                "not a great morning."
            ),
            _rep(
                "That sounds painful, especially hearing it from the COO first. What happens when "
                "the rate on the invoice doesn't match the rate you agreed?"
            ),
            _prospect(
                "Mostly we short-pay and the carrier disputes it, and then it's a phone call "
                "and another email thread. Sometimes we just pay it to make it go away."
            ),
            _rep("How often does that happen, roughly?"),
            _prospect(
                "I'd guess one invoice in eight has some kind of mismatch. Most are small, fifty "
                "or a hundred dollars, but at our volume that adds up."
            ),
            _rep("And when one slips through and gets paid, who catches it, if anyone?"),
            _prospect(
                "Nobody, really. Our auditors sample a few hundred invoices a year. We found "
                "about forty thousand dollars of overbilling last year, and that's only what we "
                "found."
            ),
            _rep(
                "You mentioned your CFO a moment ago. How many working days does month-end close "
                "take today?"
            ),
            _prospect(
                "Nine. Grace, our CFO, wants us at five by the end of the year. Our lender "
                "tightened the reporting covenants when we refinanced, so late numbers are now a "
                "board-level topic."
            ),
            _rep(
                "So getting to five days isn't a nice-to-have, it's tied to the financing. Which "
                "of those nine days go to carrier invoices?"
            ),
            _prospect(
                "At least three. We can't accrue freight cost properly until the invoices are "
                "in, so everything downstream waits on accounts payable."
            ),
            _rep("Have you tried to fix this before?"),
            _prospect(
                "We bought an OCR tool two years ago. It read the PDFs fine, but it had no idea "
                "what a rate confirmation was, so my team ended up checking everything twice."
            ),
            _rep("What would you need to see to trust a tool this time?"),
            _prospect(
                "It has to match against the rate confirmation, not just read the invoice. And "
                "it has to route exceptions to operations without my team chasing people."
            ),
            _rep(
                "That's really clear, thank you. Besides your team, does operations see this as "
                "their problem at all?"
            ),
            _prospect(
                "They see it as our problem, which is part of the problem. Ben Okafor, my "
                "controller, has been fighting that battle for a year."
            ),
            _rep(
                "If we did work together, who would be involved in choosing a tool, and who signs?"
            ),
            _prospect(
                "Ben and I would choose, and IT would need to approve the NetSuite integration. "
                "Grace signs anything over fifty thousand a year."
            ),
            _rep("Is there budget set aside for this, or would it need a new request?"),
            _prospect(
                "There's a finance transformation budget for this year, but I'd have to make the "
                "case against two other projects."
            ),
            _rep(
                "That helps. From what you've said, the two places we usually help are matching "
                "invoices against rate confirmations and routing exceptions to whoever booked the "
                "load. I don't want to pitch you yet, though. Would it make sense to bring Ben in "
                "and walk through a handful of your real invoices, including the messy ones?"
            ),
            _prospect("Yes, I think Ben would want to see exactly that."),
            _rep("Great. How does next Tuesday at ten look for you and Ben?"),
            _prospect("Tuesday at ten works for me. Let me check Ben's calendar."),
            _prospect("He's free. Let's do it."),
            _rep(
                "Perfect. I'll send over a calendar invite for Tuesday at ten. It would help to "
                "see five or six sample invoices beforehand, with their rate confirmations."
            ),
            _prospect("I can do that by Friday."),
            _rep(
                "Thanks, Priya. I'll also email you a short summary of what I heard today, so you "
                "can correct anything I got wrong before we meet."
            ),
            _prospect("Sounds good. Thanks, Jordan."),
        ],
        _Pace(rep_wpm=158, prospect_wpm=152, rep_pause=1.2, prospect_pause=0.7),
    ),
)

DEMO_FOLLOW_UP = MockCall(
    slug="demo-follow-up-brightpath",
    title="Demo follow-up: BrightPath Home Services (dispatch)",
    focus="demo",
    description=(
        "Tyler Brooks of Fieldbook, a scheduling and dispatch platform, follows up on last "
        "week's demo with Marcus Oyelaran, Operations Director at BrightPath Home Services. "
        "The rep talks most of the call, recaps features nobody asked about, talks over the "
        "buyer and ends without a booked next meeting."
    ),
    turns=_timed(
        [
            _rep("Hey Marcus, Tyler from Fieldbook! How are you doing?"),
            _prospect("Good, Tyler. Busy week, but good."),
            _rep(
                "Awesome, awesome. So I wanted to jump back on after the demo with you and Dana, "
                "because I think there's a lot we didn't get to, and honestly the stuff we didn't "
                "get to is some of the coolest stuff in the platform."
            ),
            _rep(
                "So just to recap where we left off. Fieldbook is the scheduling and dispatch "
                "platform built specifically for home services companies. We were founded in "
                "2016 by two guys who ran a plumbing business in Denver and got fed up with "
                "whiteboards, and today we have over two thousand customers in plumbing, HVAC, "
                "electrical and pest control, and we just closed our Series C, so we're not going "
                "anywhere. The core of it is the dispatch board you saw, where every technician "
                "is a row and every job is a card you can drag around, and the board knows each "
                "tech's skills, certifications and where their truck is right now."
            ),
            _rep(
                "On top of that there's the customer app, which sends the homeowner a text when "
                "the tech is on the way with a photo and a live map, and that alone cuts the "
                "where-is-my-technician calls to your office by something like forty percent. "
                "Then there's invoicing in the field, so the tech takes payment on the tablet "
                "before they leave the driveway, and there's the price book, which I don't "
                "think we showed, where you load your flat-rate pricing and the techs present "
                "good, better, best options right there at the kitchen table."
            ),
            _rep(
                "And the piece I'm really excited about is the new route optimizer we released "
                "last month. It looks at every job on tomorrow's board overnight and rebuilds "
                "the routes so your techs spend less time driving, and our early customers are "
                "seeing one extra job per tech per day, which for a team your size is real "
                "money. It also factors in traffic and each tech's shift hours, and your "
                "dispatchers can still override anything by hand, so nobody loses control. We're "
                "also launching a reporting dashboard later this year with technician "
                "scorecards, callback rates and revenue per truck, which owners really love, "
                "because for the first time they can see which trucks make money."
            ),
            _prospect(
                "Right, I remember the board. Actually, the thing Dana and I really wanted to "
                "talk about was how the after-hours emergency calls would work, because that's "
                "where we get killed on overtime and"
            ),
            _rep(
                "Yes, totally, and the optimizer handles that too, because you can pin an "
                "emergency job and it reshuffles everyone else around it automatically. It's "
                "super slick. I can show you next time, it takes about two minutes.",
                gap=-1.2,
            ),
            _prospect(
                "Okay, but our on-call rotation isn't really a routing question. The problem is "
                "that our answering service takes the call at two in the morning, and then "
                "somebody has to wake up the right technician, and half the time it's the wrong "
                "one because the rotation lives in a spreadsheet that our night supervisor keeps. "
                "Last winter we had a furnace out for a family with a newborn, and it took us "
                "three hours to get somebody there because the first two techs we called weren't "
                "certified for that brand. That's the kind of thing that ends up in a review."
            ),
            _rep(
                "Oof, yeah, that's rough. So we actually have a really strong on-call feature. "
                "You set up the rotation in Fieldbook, and there's an integration with most of "
                "the big answering services, so the job lands right on the board and the "
                "right tech gets a push notification with everything they need. We have a "
                "customer in Phoenix, a big HVAC shop, three hundred trucks, and they love it.",
                gap=0.3,
            ),
            _prospect("Does it check the certifications before it pages someone?"),
            _rep(
                "It can, yeah, if you set up the skills on each tech, which is part of "
                "onboarding anyway. Our onboarding team is amazing, by the way. Every customer "
                "gets a dedicated implementation manager for the first ninety days, and most "
                "shops are fully live in about six weeks, and they'll load your price book, your "
                "techs, your service areas, all of it.",
                gap=0.25,
            ),
            _prospect(
                "Six weeks is a long time going into our busy season. What about the data we "
                "have in JobCore today, like customer history and equipment records?"
            ),
            _rep(
                "Great question. So we have an import tool that handles most of that, and for "
                "the trickier stuff our services team can do a custom migration. We've migrated "
                "a ton of shops off JobCore, it's actually one of the most common ones we see, "
                "so there's a playbook for it.",
                gap=-0.6,
            ),
            _rep(
                "And honestly, the equipment records are where Fieldbook really shines, because "
                "once the tech scans the serial number on the unit, the whole service history "
                "follows that unit, and you can run maintenance agreements off it. Memberships "
                "are a huge revenue driver for shops your size, and we have reporting on all of "
                "that, renewal rates, revenue per membership, everything."
            ),
            _prospect("Okay. And what would this cost for us, roughly?"),
            _rep(
                "So pricing depends on the package, but for eighty-five techs on our Pro plan "
                "you'd be looking at around ninety-five dollars per tech per month, plus a "
                "one-time onboarding fee. I'd have to check on the exact number for the route "
                "optimizer, since that's an add-on right now.",
                gap=0.2,
            ),
            _prospect(
                "That's more than we pay for JobCore. I'd need to show the owners where the "
                "money comes back."
            ),
            _rep(
                "Totally, and I think the extra job per tech per day pays for it many times "
                "over, plus the membership revenue, plus the reviews. It's really a no-brainer "
                "once you see the numbers. Do you want me to put together an ROI sheet?",
                gap=-0.8,
            ),
            _prospect("Sure, that would help."),
            _rep(
                "Awesome. I'll put that together, and I'll throw in a couple of case studies, "
                "the Phoenix one and a plumbing shop in Ohio that's about your size.",
                gap=0.3,
            ),
            _prospect(
                "And the after-hours piece. Dana will want to see how the on-call paging "
                "actually works with our answering service before anything else."
            ),
            _rep(
                "Yeah, for sure, I'll put an on-call slide in the deck so she can see it.",
                gap=0.2,
            ),
            _prospect(
                "Okay. Look, let me talk to Dana and the owners and we'll get back to you. We "
                "have a lot going on right now."
            ),
            _rep(
                "Totally, sounds great. I'll shoot you the deck and the pricing sheet by email, "
                "and just reach out whenever you're ready. Great talking to you, Marcus!",
                gap=0.2,
            ),
            _prospect("You too. Bye."),
        ],
        _Pace(rep_wpm=172, prospect_wpm=155, rep_pause=0.3, prospect_pause=0.6),
    ),
)

SECURITY_REVIEW = MockCall(
    slug="security-review-halcyon",
    title="Enterprise security objections: Halcyon Bank",
    focus="objection_handling",
    description=(
        "Aisha Khan of Parcelio, a customer data platform, meets Daniel Weiss, CISO at Halcyon "
        "Bank, a regional bank with forty branches. He raises SOC 2, SSO and SCIM, data "
        "residency, AI training on bank data and the right to audit; she answers, asks what "
        "sits behind each concern and books the security review."
    ),
    turns=_timed(
        [
            _rep(
                "Daniel, thanks for joining. Maria said you'd want to go through security before "
                "anything else moves forward, so I've kept the whole half hour for that. Before I "
                "start, what would make this call a good use of your time?"
            ),
            _prospect(
                "Frankly, I need to know whether you can pass our vendor risk review at all. "
                "Marketing loves your product, but I've seen this movie before."
            ),
            _rep("Fair enough. When you say you've seen this movie, what happened last time?"),
            _prospect(
                "Three years ago marketing brought in an email platform without telling us. "
                "They uploaded our full customer file, names, account types, balances bands, to "
                "a vendor that turned out to host everything on a single server with a shared "
                "admin password. We found out during an exam, when the examiner asked for our "
                "list of third parties holding customer data and that vendor wasn't on it. It "
                "took us four months to unwind, we had to notify the board, and I personally "
                "spent most of a quarter writing remediation reports instead of doing my actual "
                "job, which is keeping the bank safe. So when marketing says "
                "they found a great tool, my first instinct is to say no until proven otherwise, "
                "and I'd rather be honest with you about that up front."
            ),
            _rep(
                "I appreciate the honesty, and that's exactly the review we want to go through. "
                "Let's start with the basics. We have a SOC 2 Type II report covering security, "
                "availability and confidentiality, renewed every twelve months, the latest one "
                "issued in March with no exceptions. I can share it under NDA today."
            ),
            _prospect("Type II, good. Who's the auditor?"),
            _rep(
                "A top-twenty CPA firm, and the bridge letter covers us up to this month. We "
                "also have an annual penetration test by an outside firm, and I can share the "
                "executive summary and the remediation status."
            ),
            _prospect(
                "Fine. Identity is where these tools usually fall over. We're on Okta. I need "
                "SAML single sign-on and SCIM provisioning, and I don't want to hear that it's "
                "only on the enterprise tier for an extra forty percent."
            ),
            _rep(
                "SAML with Okta is supported, and so is SCIM for provisioning and "
                "deprovisioning. They're in the enterprise plan, which is the plan we've quoted "
                "Maria, so there's no separate charge. How do you handle deprovisioning today, "
                "is it tied to your HR system?"
            ),
            _prospect(
                "Yes, Workday to Okta. When someone leaves, their access has to be gone within "
                "four hours, and I need to be able to prove it."
            ),
            _rep(
                "With SCIM the account is deactivated as soon as Okta pushes the change, usually "
                "within a minute, and it shows up in our audit log, which you can export or "
                "stream to your SIEM. Which SIEM are you on?"
            ),
            _prospect("Splunk."),
            _rep("We have a Splunk integration for the audit log, so that's covered."),
            _prospect(
                "Where does the data live? We're a US bank, and I don't want customer data "
                "leaving the country, including backups."
            ),
            _rep(
                "Your tenant can be pinned to our US region, which runs on AWS in Virginia and "
                "Oregon, backups included. Data is encrypted at rest with AES-256 and in transit "
                "with TLS 1.2 or higher. Do you also need customer-managed keys?"
            ),
            _prospect(
                "For this use case, probably not. What about your subprocessors? And I want a "
                "straight answer on AI. Are you training models on our data?"
            ),
            _rep(
                "Straight answer: no. Customer data is never used to train models, ours or "
                "anyone else's, and that's written into the data processing agreement, not just "
                "the website. Our subprocessor list is public, there are eleven of them, and we "
                "give thirty days' notice before adding one. Is that notice period workable for "
                "your third-party risk process?"
            ),
            _prospect(
                "Thirty days is tight but workable. Our contracts also need a right to audit. "
                "Vendors usually push back hard on that one."
            ),
            _rep(
                "We do push back on on-site audits, I won't pretend otherwise. Instead, banks "
                "get the SOC 2 report, a completed SIG questionnaire, and a yearly call "
                "with our security team where you can ask anything. What does your examiner "
                "actually expect to see from you there?"
            ),
            _prospect(
                "Mostly evidence that we assessed you and that we can get information if "
                "there's an incident. On-site isn't usually the sticking point."
            ),
            _rep(
                "Then let's write the incident part clearly. Our standard terms commit to "
                "notifying you within seventy-two hours of a confirmed incident affecting your "
                "data. Would you need it faster than that?"
            ),
            _prospect("Our policy says forty-eight hours for critical vendors."),
            _rep(
                "I can take forty-eight hours to our legal team. I've seen it agreed for other "
                "banks, so I don't expect a problem, but I won't promise it on this call."
            ),
            _prospect(
                "I appreciate that. Okay. Send me the SOC 2, the pen test summary, the DPA and "
                "the subprocessor list, and my team will run our questionnaire."
            ),
            _rep(
                "I'll send the NDA this afternoon and the documents as soon as it's signed. "
                "Who on your team will run the questionnaire?"
            ),
            _prospect("Priyanka Das, our security engineer. She's thorough."),
            _rep(
                "Good, thorough is what we want. Could we book an hour with Priyanka and our "
                "security lead on Thursday at two, so she can ask her questions live instead of "
                "over email?"
            ),
            _prospect("Thursday at two works. Put it on my calendar too."),
            _rep(
                "Will do. I'll send the calendar invite for Thursday at two to you and Priyanka, "
                "and I'll copy Maria so she knows where things stand."
            ),
            _prospect("Good. Thanks, Aisha, this was more useful than I expected."),
        ],
        _Pace(rep_wpm=160, prospect_wpm=150, rep_pause=1.0, prospect_pause=0.8),
    ),
)

PRICING_NEGOTIATION = MockCall(
    slug="pricing-negotiation-meridian",
    title="Pricing negotiation: Meridian Software Group",
    focus="negotiation",
    description=(
        "Carlos Mendes of Signalboard, a revenue analytics tool, negotiates a 120-seat deal "
        "with Rachel Thompson, procurement manager at Meridian Software Group, who has a "
        "cheaper quote from a competitor and asks for 30 % off. He trades price for term and "
        "prepayment instead of giving it away."
    ),
    turns=_timed(
        [
            _rep(
                "Hi Rachel, thanks for setting this up. I understand you've had a chance to "
                "review the proposal with the team."
            ),
            _prospect(
                "We have. I'll be direct, Carlos. The team likes Signalboard, but the number "
                "doesn't work. We have a quote from Pipewise at sixty dollars a seat, and you're "
                "at eighty-five. I need you to come down thirty percent to get this approved."
            ),
            _rep(
                "Thanks for being direct, that helps. Before we talk numbers, can I ask whether "
                "the Pipewise quote covers the same scope, with forecasting and the CRM "
                "write-back?"
            ),
            _prospect(
                "Forecasting, yes. The write-back, I'd have to check. It's their professional plan."
            ),
            _rep(
                "That's worth checking, because on their professional plan the write-back is an "
                "add-on, and in your evaluation Sanjay's team said the write-back was the reason "
                "they picked us. I'd rather you compare the same thing. What matters most to "
                "you in this decision, the price per seat or the total cost over the contract?"
            ),
            _prospect(
                "Honestly, the total. My CFO looks at the annual commitment, and we're under "
                "pressure to keep new software spend flat this year. We went through a round of "
                "tool consolidation in the spring, we cut something like fourteen subscriptions, "
                "and every new contract now goes through a review where I have to show what it "
                "replaces or what it saves. Signalboard doesn't replace anything outright, so I "
                "have to argue it on the forecast accuracy, and that's a harder story to tell a "
                "CFO than a line item that disappears."
            ),
            _rep(
                "That's helpful. And if the numbers worked, is there anything else standing "
                "between us and a signature this month?"
            ),
            _prospect(
                "Legal will want to look at the data processing terms, especially where the "
                "call recordings are stored, but that's usually quick once they get the "
                "documents. It's really the price."
            ),
            _rep(
                "Okay. I can't do thirty percent on a one-year deal at a hundred and twenty "
                "seats. That price would be below what we charge customers three times your "
                "size, and I won't do that to them or to you. Here is what I can do. If you sign "
                "a three-year agreement with the first year paid upfront, I can bring the seat "
                "price down fifteen percent, to seventy-two twenty-five, and lock that price for "
                "all three years, so there's no uplift at renewal. On a hundred and twenty "
                "seats that takes your annual commitment from about a hundred and twenty-two "
                "thousand to just under a hundred and four, which is a saving of roughly "
                "eighteen thousand a year, and over fifty-five thousand across the term."
            ),
            _prospect(
                "Three years is a long commitment for a tool we haven't rolled out yet. What if "
                "it doesn't work for us?"
            ),
            _rep(
                "That's a fair worry. What would you need to see in the first few months to "
                "feel confident?"
            ),
            _prospect(
                "Adoption, mainly. The last sales tool we bought, a coaching platform, came "
                "with a big launch, training sessions, the whole thing. Three months later half "
                "the managers had never logged in again, and we were stuck paying for two more "
                "years of it. Our CRO still brings it up every time someone suggests a new tool, "
                "and I'm the one who signed that contract, so you can imagine I'm careful now. "
                "If this one goes the same way, it's my name on it again."
            ),
            _rep(
                "Then let's put that in writing. We'll commit to an adoption target, say eighty "
                "percent of managers using forecasting weekly by day ninety, and if we miss it, "
                "you can exit after year one without penalty. Would that address the risk?"
            ),
            _prospect(
                "That helps a lot, actually. But fifteen percent still leaves me above Pipewise."
            ),
            _rep(
                "On seat price, yes. Once you add their write-back module and implementation, "
                "my understanding is you'd be close to even. I'd encourage you to ask them for "
                "an all-in number. Is there anything else you could offer that has value for us?"
            ),
            _prospect("Such as?"),
            _rep(
                "A case study and a reference call once you're live. If Meridian is willing to "
                "do both, I can add another three percent."
            ),
            _prospect(
                "I'd have to clear the case study with marketing, but I think they'd say yes, "
                "they like being seen as ahead of the curve. So that's eighteen percent all in? "
                "I'll be honest, my target was twenty-five, and I'll get questions about why we "
                "didn't get there."
            ),
            _rep(
                "Eighteen percent, three years, first year prepaid, price locked, the adoption "
                "exit clause, and the case study and reference. That's my best offer, and I'd "
                "need it signed by the end of the month to hold it."
            ),
            _prospect(
                "Let me take it to our CFO, David Lin. He'll want to see it in writing before "
                "he'll even discuss it."
            ),
            _rep(
                "Of course. I'll send over a revised order form by Wednesday, with the exit "
                "clause written out. Would it help if I joined when you walk David through it, "
                "to answer questions on the spot?"
            ),
            _prospect("It might. He's usually free Friday mornings."),
            _rep("Could we pencil in Friday at ten for thirty minutes, the three of us?"),
            _prospect("Let's say Friday at ten, and I'll confirm once I've talked to him."),
            _rep(
                "Great. And I'll ask our legal team to send the data processing terms to yours "
                "today so that doesn't hold anything up."
            ),
            _prospect("Perfect. Thanks, Carlos."),
        ],
        _Pace(rep_wpm=156, prospect_wpm=160, rep_pause=0.9, prospect_pause=0.7),
    ),
)

OBJECTION_HANDLING = MockCall(
    slug="objection-handling-crestline",
    title="Objection handling: Crestline Manufacturing (recruiting)",
    focus="objection_handling",
    description=(
        "Kevin Walsh of Hirebird, a recruiting platform, calls Linda Park, talent acquisition "
        "lead at Crestline Manufacturing. She is happy with her current system, her budget is "
        "frozen and she finds the price high. He argues instead of asking, talks fast, cuts "
        "her off, and the call ends with nothing agreed."
    ),
    turns=_timed(
        [
            _rep(
                "Hi Linda, Kevin from Hirebird, thanks for taking my call. So, um, I saw you're "
                "hiring forty machinists and I wanted to show you how we can help. Do you have "
                "a few minutes?"
            ),
            _prospect("A few, yes."),
            _rep(
                "Great. So Hirebird is the hiring platform built for hourly and skilled trades "
                "roles. We work with over six hundred manufacturers, and the big difference is "
                "that everything happens by text message, because your candidates are on the "
                "floor all day and they don't sit at a laptop checking email. They apply in "
                "under two minutes from their phone, they pick their own interview slot, and "
                "your recruiters see everyone in one pipeline. Customers typically cut their "
                "time to hire in half, and we have a new AI screening feature that ranks "
                "candidates on their certifications automatically, so your team only talks to "
                "people who can actually run a CNC machine.",
                gap=0.2,
            ),
            _prospect(
                "I'll be honest, Kevin, we're pretty happy with HireLoop. We've used it for "
                "four years and the team knows it."
            ),
            _rep(
                "Yeah, totally, a lot of our customers came from HireLoop, actually. The thing "
                "is, HireLoop is built for office jobs, you know, and for hourly "
                "manufacturing roles it just doesn't have the texting and the one-click apply, "
                "so you're losing candidates before they even apply.",
                gap=0.2,
            ),
            _prospect(
                "Our apply rate is fine. Our problem is more that people accept the offer and "
                "then don't show up on day one, which"
            ),
            _rep(
                "Right, and that's exactly what our texting fixes, because candidates get "
                "reminders and, um, you know, they stay engaged between offer and start date.",
                gap=-1.0,
            ),
            _prospect(
                "Maybe. But it's not really about reminders. The people who don't show up "
                "usually got a better offer from the distribution center down the road. They "
                "pay a dollar fifty more an hour, and they hire on the spot. We lost eleven "
                "people that way last month alone, and our plant manager is furious because "
                "he's running the second shift short and paying overtime to cover it. We've "
                "talked about raising wages, but corporate says not until the new fiscal year."
            ),
            _rep(
                "Sure, and speed is basically our whole thing. With Hirebird you can send an "
                "offer by text the same day as the interview, so you'd be just as fast as the "
                "distribution center, probably faster.",
                gap=0.2,
            ),
            _prospect(
                "Okay. Even if that's true, our budget is frozen until the third quarter. "
                "There's no new software this year."
            ),
            _rep(
                "I hear that a lot, but honestly, Linda, if you're losing eleven hires a month, "
                "the cost of waiting is way bigger than the cost of the software. Like, every "
                "empty seat on second shift costs you overtime, right?",
                gap=0.25,
            ),
            _prospect("It does, but that's not my budget, it's the plant's."),
            _rep(
                "Right, right. But the plant manager would probably pay for it if he saw the "
                "numbers. Are you the one who makes the call on software, or is it him?",
                gap=-0.5,
            ),
            _prospect(
                "I choose the tool, the plant pays for the seats, and corporate IT has to "
                "approve anything that touches employee data. It's not a quick process."
            ),
            _rep(
                "Sure, but that's pretty normal, and our team handles the IT review all the "
                "time. We have a calculator that shows the ROI, and most "
                "manufacturing customers see payback in like three months.",
                gap=-0.5,
            ),
            _prospect("What does it cost?"),
            _rep(
                "So for your size it would be around thirty-two thousand a year, which, um, "
                "honestly is pretty standard for the market.",
                gap=0.2,
            ),
            _prospect("We pay about half that for HireLoop."),
            _rep(
                "Yeah, but HireLoop doesn't have the texting, or the scheduling, or the, um, "
                "the onboarding paperwork module, so it's not really apples to apples. And we "
                "pay for ourselves if you keep even two hires a month, so it's a no-brainer.",
                gap=-0.7,
            ),
            _prospect(
                "It's not a no-brainer for me. Switching systems in the middle of a hiring push "
                "is a real risk. My recruiters would have to learn a new tool while they're "
                "trying to fill forty roles."
            ),
            _rep(
                "Totally get it, but our implementation is super easy, like two weeks, and we "
                "do all the training, so your recruiters would basically be up and running "
                "right away. We did it for a plant in Indiana and they loved it.",
                gap=0.2,
            ),
            _prospect("Did they switch in the middle of a hiring push?"),
            _rep(
                "I'd have to check on that, but I'm pretty sure they were hiring a lot, yeah.",
                gap=0.3,
            ),
            _prospect(
                "Look, Kevin, I don't think the timing is right. Let me think about it, and I'll "
                "reach out if anything changes on the budget side."
            ),
            _rep(
                "Sure, sure. Can I at least, um, email you the ROI calculator so you have it?",
                gap=0.2,
            ),
            _prospect("You can email it, yes."),
            _rep(
                "Great, I'll do that. And honestly, Linda, don't wait too long, because the "
                "pricing we have right now is, you know, a special offer for manufacturing.",
                gap=0.2,
            ),
            _prospect("Noted. I have to jump to another meeting. Thanks."),
            _rep("Okay, thanks Linda, talk soon.", gap=0.2),
        ],
        _Pace(rep_wpm=186, prospect_wpm=150, rep_pause=0.25, prospect_pause=0.6),
    ),
)

CLOSING = MockCall(
    slug="closing-atlas",
    title="Closing: Atlas Outdoor Co (support platform)",
    focus="closing",
    description=(
        "Emily Novak of Beacon Support, a customer support platform, works to close a deal "
        "with Sam Whitaker, COO at Atlas Outdoor Co, an online outdoor retailer. Legal redlines "
        "on liability and auto-renewal, a start date before peak season and the signature: "
        "she confirms the decision, resolves what's open and asks for the signature."
    ),
    turns=_timed(
        [
            _rep(
                "Hi Sam, thanks for making time. The goal today is to see whether anything still "
                "stands between us and a signature, and if not, to agree how we get there. Does "
                "that work for you?"
            ),
            _prospect(
                "Yes. I think we're close, but legal sent back a couple of redlines I want to "
                "talk through."
            ),
            _rep(
                "Good, let's start there. My understanding is there are two: the liability cap "
                "and the auto-renewal clause. Is that everything?"
            ),
            _prospect(
                "Those two, and our finance team asked whether we can pay quarterly instead of "
                "annually. We're a seasonal business, most of our revenue lands between October "
                "and January, so cash is tight over the summer, and they'd rather not put a "
                "full year's fee on the books in August."
            ),
            _rep(
                "Okay, three items. On liability, your team asked for the cap to be two times "
                "annual fees instead of one. What's driving that, is it a specific scenario they "
                "have in mind?"
            ),
            _prospect(
                "It's mostly the customer data. We had a scare two years ago when a shipping "
                "partner leaked order details. Nobody's cards were exposed, but we had to email "
                "eighty thousand customers and offer discount codes, and it cost us a lot more "
                "than that partner's contract was worth. Our general counsel, Nina, swore that "
                "every vendor touching customer data would carry a higher cap from then on. So "
                "it's not personal, it's a policy now, and she's not going to budge on the "
                "principle, though she might on the number."
            ),
            _rep(
                "That makes sense, and it's a reasonable policy. Our legal team has agreed to "
                "two times fees for data breach claims specifically, with the general cap "
                "staying at one times. Would Nina accept that split?"
            ),
            _prospect("I think so. That's basically what she's worried about."),
            _rep(
                "Great. On auto-renewal, we can change the notice period from thirty days to "
                "sixty, so your team has more time to decide, and I'll send you a reminder ninety "
                "days before renewal regardless. Does that cover it?"
            ),
            _prospect("Yes, that was the concern. Nobody wants a surprise invoice."),
            _rep(
                "Understood. Quarterly payment I can do as well, with a small admin fee of two "
                "percent, or annual with no fee. Which would finance prefer?"
            ),
            _prospect("I'll check, but I expect they'll take quarterly and live with the fee."),
            _rep(
                "That's fine either way. So if legal accepts the liability split and the sixty "
                "days, and finance picks a payment schedule, is there anything else that would "
                "stop you from signing?"
            ),
            _prospect(
                "No. The team has made its decision. We looked hard at staying on our current "
                "help desk and at one other vendor, and your routing and the Shopify order "
                "view won it. I also have sign-off from our CEO up to this amount, so it doesn't "
                "need to go back to her."
            ),
            _rep(
                "That's great to hear. Let's talk timing, then. You wanted to be live before "
                "peak season starts in October. Our onboarding takes six weeks, which means "
                "kickoff no later than mid-August. When would you ideally like to start?"
            ),
            _prospect(
                "As soon as possible. My support team is already drowning. Last peak season we "
                "hit six thousand tickets a week, our first response time went from four hours "
                "to almost three days, and we had to pull people from the warehouse to answer "
                "emails. Our reviews took a real hit, and I promised the CEO it would not happen "
                "again this year. So the earlier we start, the more time my team has to learn "
                "the tool before the rush."
            ),
            _rep(
                "Then here's what I'd suggest. I'll send the updated agreement with both redlines "
                "by end of day today. If Nina can review it by Friday, we send it for signature "
                "on Monday, and we hold a kickoff with our onboarding team on Tuesday the "
                "twelfth at nine thirty. Could that work?"
            ),
            _prospect(
                "Monday for signature is realistic, and Tuesday the twelfth works for the kickoff."
            ),
            _rep(
                "Perfect. Who from your side should be at the kickoff, beyond you and Jenna from "
                "support?"
            ),
            _prospect("Add Marco from IT, he owns the Shopify integration."),
            _rep(
                "Will do. One last question, Sam. If the agreement comes back clean on Friday, "
                "will you sign it on Monday?"
            ),
            _prospect("Yes. If it comes back clean, I'll sign it Monday."),
            _rep(
                "Thank you. I'll send the agreement tonight, the kickoff invite for Tuesday the "
                "twelfth to you, Jenna and Marco, and a one-page plan with every date we've "
                "agreed today, so nothing slips."
            ),
            _prospect("Great. Thanks, Emily. Looking forward to getting started."),
            _rep("Me too. Talk to you Monday."),
        ],
        _Pace(rep_wpm=162, prospect_wpm=155, rep_pause=1.1, prospect_pause=0.7),
    ),
)

MOCK_CALLS: dict[str, MockCall] = {
    call.slug: call
    for call in (
        DISCOVERY,
        DEMO_FOLLOW_UP,
        SECURITY_REVIEW,
        PRICING_NEGOTIATION,
        OBJECTION_HANDLING,
        CLOSING,
    )
}


def get_mock(slug: str) -> MockCall:
    """The mock call with this slug.

    Raises:
        KeyError: no mock has this slug; the message lists the ones that exist.
    """
    try:
        return MOCK_CALLS[slug]
    except KeyError:
        raise KeyError(f"No mock call {slug!r}; choose one of: {', '.join(MOCK_CALLS)}") from None
