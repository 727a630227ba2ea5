"""The demo clinic's content: service pages, condition pages and articles, as data.

articles/demo.py loads it; the words are ours (../shared/content-brief.md lists
the facts they cover).
"""

from django.urls import reverse


def book_url(treatment: str) -> str:
    return f"{reverse('booking:start')}?treatment={treatment}"


TOPICS = {
    "dry-needling": "Dry needling",
    "pain": "Pain",
    "exercise": "Exercise",
    "your-visit": "Your visit",
    "treatments": "Treatments",
}

SERVICES = [
    {
        "slug": "dry-needling",
        "title": "Dry needling",
        "summary": (
            "Fine, sterile needles placed into tight, tender spots in a muscle to ease pain "
            "and help stiff areas move more freely."
        ),
        "what_it_is": (
            "Dry needling uses very thin needles, the same kind used in acupuncture, to work "
            "directly on sore, tight areas in muscle. Your physiotherapist finds the spots that "
            "reproduce your pain and places the needles there or around them. Nothing is "
            "injected: the needle itself is the treatment, which is where the word *dry* comes "
            "from.\n\nRead more about how it works in our article on "
            "[dry needling and trigger points](/articles/dry-needling-explained/)."
        ),
        "who_it_helps": (
            "- People whose pain feels muscular: a deep ache, a knot, a tight band\n"
            "- Stiffness that limits how far you can turn, reach or bend\n"
            "- Sports and overuse injuries that are slow to settle\n"
            "- Shoulder, neck, back, heel and hip pain in particular"
        ),
        "what_to_expect": (
            "The first visit starts with questions and a short examination, including a few "
            "safety questions about needles. If dry needling suits you, the physiotherapist "
            "explains what they plan to do before anything starts. You may feel a brief twitch "
            "or a dull ache as a needle reaches a sensitive spot; this passes quickly. Most "
            "sessions also include hands-on work and exercises, and you leave with a plan for "
            "home."
        ),
        "duration_and_price": "45 minutes · £65",
    },
    {
        "slug": "physiotherapy",
        "title": "Physiotherapy",
        "summary": (
            "A thorough assessment, a clear explanation of what is going on and a plan of "
            "hands-on treatment and exercise to get you back to what you enjoy."
        ),
        "what_it_is": (
            "Physiotherapy looks at how you move and why it hurts. We combine hands-on "
            "treatment, such as joint mobilisation and soft-tissue work, with exercises chosen "
            "for your body and your goals, and we explain each step so you understand your own "
            "recovery."
        ),
        "who_it_helps": (
            "- Back and neck pain, new or long-standing\n"
            "- Sprains, strains and sports injuries\n"
            "- Recovery after surgery or a period of rest\n"
            "- Anyone who wants to move with more confidence"
        ),
        "what_to_expect": (
            "Your first session is mostly listening and assessing: what happened, what makes it "
            "better or worse and what you want to get back to. We then agree a plan together. "
            "Follow-up sessions are shorter and focus on treatment and progressing your "
            "exercises. Wear comfortable clothes you can move in."
        ),
        "duration_and_price": "45 minutes · £60 (follow-ups: 30 minutes · £45)",
    },
    {
        "slug": "massage-therapy",
        "title": "Massage therapy",
        "summary": (
            "Sports and remedial massage for tired, tight or overworked muscles, at a pressure "
            "you choose."
        ),
        "what_it_is": (
            "Remedial massage works on specific muscles that are sore or overloaded, rather "
            "than the whole body at once. Our therapist uses a mix of deep strokes, sustained "
            "pressure and stretching, always at a level that feels right to you."
        ),
        "who_it_helps": (
            "- Runners, cyclists and gym-goers in heavy training\n"
            "- Desk workers with tight shoulders and neck\n"
            "- Anyone recovering from a strain who wants to loosen up between physiotherapy "
            "sessions"
        ),
        "what_to_expect": (
            "We ask where you feel tight and what you have been doing, then work on those "
            "areas for most of the hour. Tell us at any time if you would like more or less "
            "pressure. Drink some water afterwards and expect to feel a little tender the next "
            "day."
        ),
        "duration_and_price": "60 minutes · £55",
    },
    {
        "slug": "acupuncture",
        "title": "Acupuncture",
        "summary": (
            "Thin needles placed at chosen points to help with pain and tension, given by a "
            "physiotherapist trained in acupuncture."
        ),
        "what_it_is": (
            "Acupuncture uses the same fine, single-use needles as dry needling, but places "
            "them at set points, often away from the painful area, and leaves them in for a "
            "while. It is used for a wider range of complaints than dry needling, and at our "
            "clinic it is always part of a physiotherapy-led plan."
        ),
        "who_it_helps": (
            "- Long-standing aches that have not settled with exercise alone\n"
            "- Tension-type headaches linked to neck and shoulder tightness\n"
            "- People who want a calm, still treatment alongside their exercises"
        ),
        "what_to_expect": (
            "After a short assessment you lie comfortably while the needles are placed. They "
            "usually stay in for 15 to 30 minutes while you rest. Most people feel a mild "
            "heaviness or tingling around the needle and nothing more."
        ),
        "duration_and_price": "45 minutes · £60",
    },
]

CONDITIONS = [
    {
        "slug": "shoulder-pain",
        "title": "Shoulder pain",
        "summary": "Aching when you reach overhead, sleep on one side or lift a bag.",
        "overview": (
            "The shoulder moves further than any other joint, which makes it easy to overload. "
            "Many painful shoulders come from irritated tendons or tight, tender muscles around "
            "the shoulder blade rather than from damage inside the joint.\n\n"
            "Treatment usually combines exercises that rebuild strength and control with "
            "hands-on work, and dry needling where muscles are tight and tender."
        ),
        "services": ["physiotherapy", "dry-needling", "massage-therapy"],
    },
    {
        "slug": "neck-pain",
        "title": "Neck pain",
        "summary": "Stiffness, aching or headaches that start at the top of the shoulders.",
        "overview": (
            "Most neck pain is not serious and settles with time, movement and reassurance. "
            "Long hours at a screen, poor sleep and stress can all make the muscles at the base "
            "of the neck sore and protective.\n\n"
            "We help you move the neck again with gentle exercises, hands-on treatment and, "
            "where it suits you, dry needling or acupuncture."
        ),
        "services": ["physiotherapy", "dry-needling", "acupuncture", "massage-therapy"],
    },
    {
        "slug": "back-pain",
        "title": "Back pain",
        "summary": "Low back pain that makes bending, sitting or getting out of bed hard.",
        "overview": (
            "Back pain is very common and usually improves within a few weeks. Staying as "
            "active as you can helps far more than bed rest.\n\n"
            "A physiotherapist can check for anything that needs a doctor, explain what is "
            "going on and give you a plan to move with confidence. Dry needling can ease tight, "
            "guarded muscles while you get going."
        ),
        "services": ["physiotherapy", "dry-needling", "massage-therapy"],
    },
    {
        "slug": "heel-pain",
        "title": "Heel pain",
        "summary": "Sharp pain under the heel, worst with the first steps in the morning.",
        "overview": (
            "Pain under the heel often comes from the thick band of tissue that supports the "
            "arch of the foot, and from tight calf muscles pulling on it. It tends to build "
            "slowly, often after a change in activity or footwear.\n\n"
            "Calf and foot strengthening, a sensible load plan and dry needling of tender "
            "calf muscles are the usual mainstays of treatment."
        ),
        "services": ["physiotherapy", "dry-needling"],
    },
    {
        "slug": "hip-pain",
        "title": "Hip pain",
        "summary": "Aching on the side of the hip or in the groin when walking or lying down.",
        "overview": (
            "Pain on the outside of the hip often comes from the tendons of the buttock "
            "muscles, and is commonly worse lying on that side or climbing stairs. Pain in the "
            "groin may come from the joint itself.\n\n"
            "Strengthening the hip muscles is central to most plans; dry needling and massage "
            "can help when the muscles are tight and sore."
        ),
        "services": ["physiotherapy", "dry-needling", "massage-therapy"],
    },
]

DRY_NEEDLING_BODY = """\
Dry needling and acupuncture look alike: in both, a practitioner slides very thin, \
solid needles (called filiform needles) through the skin. The difference is in the aim. \
Acupuncture is used for a broad range of complaints. Dry needling is narrower: it is aimed \
at trigger points and at irritated, painful areas in and around muscle.

## What is a trigger point?

A trigger point is something a clinician finds by examining you. It feels like a taut band \
or a small, tight spot inside a muscle. Pressing on it is tender and often reproduces the \
pain you know, and it can limit how far you can move or how well that muscle works.

Current thinking is that a trigger point does not *cause* your pain so much as *express* it: \
it is where sensitised nerves make the pain experience easy to find. That makes it a useful \
window. By working on the trigger point, we can change how the area feels and moves.

## What happens in a session

After talking with you and examining the painful area, your physiotherapist places several \
needles into the trigger points they have found. When a needle reaches the right spot, the \
muscle may give a quick local twitch, followed by a feeling of release. Depending on you and \
on the goal of the session, the needles either stay in for a few minutes or come out straight \
away.

## The techniques we use

- **In-and-out techniques.** Sometimes called *sparrow pecking* or *pistoning*, these move \
the needle gently in and out of the trigger point several times, pricking it, and the needle \
does not stay in.
- **Non-trigger-point techniques.** Here the needles go around the painful area rather than \
into it. They act as a new stimulus that changes how the nervous system senses that area.

Your practitioner will explain which approach they suggest and why, and you can stop at any \
point.

## Areas we commonly treat

The areas we treat most often are the **shoulder**, **neck**, **back**, **heel** and **hip**. \
People usually come to us with:

- pain that feels muscular: a deep ache or a knot
- stiffness, or a joint that will not move as far as it used to
- reduced flexibility
- sports injuries that are slow to settle

## Side effects and safety

Side effects are usually minor and short-lived: a small bruise, a drop of bleeding where a \
needle went in, or soreness for a day or two. Serious problems are rare and are mostly linked \
to needles that were not sterile. We only use sterile, single-use needles that are opened in \
front of you and thrown away after the session. Please ask any of our practitioners about \
this; we are always happy to explain.

## One part of a plan

Dry needling works best as one part of a wider plan. We usually combine it with \
physiotherapy, massage or other hands-on care, and with exercises you do at home, so that the \
relief you feel after a session turns into lasting change.

## Book dry needling

If a tight, painful muscle is holding you back, you can [book a dry needling session \
online]({book}) and pick a time that suits you. Not sure it is right for you? Book a \
physiotherapy assessment and we will talk it through.
"""

FIRST_VISIT_BODY = """\
Coming to a physiotherapist for the first time can feel uncertain. Here is what happens, so \
you can arrive relaxed.

## Before you arrive

Wear clothes you can move in. If the problem is in your leg, shorts are handy; for a \
shoulder or neck, a vest top helps. Bring a list of any medicines you take and any scan or \
letter you have been given.

## The conversation

We start by listening: when the pain began, what makes it better or worse, how it affects \
your days and what you want to get back to. These answers guide everything else.

## The examination

We watch how you move, test strength and flexibility and gently feel the sore area. We also \
check for signs that something needs a doctor instead, which is rare.

## The plan

Before you leave, we explain what we found in plain words and agree a plan with you. Most \
plans mix hands-on treatment, such as massage or [dry needling]({service}), with a few \
exercises to do at home.

[Book your first physiotherapy session]({book}) online whenever it suits you.
"""

STRETCHING_BODY = """\
After dry needling, a muscle often feels looser but a little tender, rather like after a \
hard workout. Gentle movement in the next day or two helps that relief last.

## The first few hours

- Keep moving normally; there is no need to rest the area completely.
- Warmth, such as a shower, can ease any soreness.
- Drink water as you usually would.

## Simple stretches

Hold each stretch for about 30 seconds, breathing slowly, and stop if it hurts sharply.

1. **Neck:** sit tall and tip one ear towards your shoulder, then the other.
2. **Shoulder:** bring one arm across your chest and hold it with the other hand.
3. **Calf and heel:** stand facing a wall, one foot back with the heel down, and lean in.
4. **Hip:** lie on your back, cross one ankle over the other knee and hug the lower leg in.

## When to call us

A little soreness for a day or two is normal. If it lasts longer, or if anything worries \
you, ring the clinic or ask at your next session. Ready for your next step? \
[Book a follow-up session]({book}).
"""

VERSUS_BODY = """\
People often ask whether dry needling is just acupuncture by another name. The needles are \
the same kind, so the confusion is understandable, but the thinking behind them differs.

## What they share

Both use thin, solid, single-use needles that pass through the skin. Neither injects \
anything. Both are given at our clinic by physiotherapists with extra training.

## Where they differ

- **Aim:** acupuncture is used for many kinds of complaint; dry needling focuses on tender \
spots in muscle and on irritated, painful areas.
- **Where the needles go:** acupuncture follows set points, which may be far from the pain; \
dry needling usually works at or around the painful muscle itself.
- **How long they stay:** acupuncture needles usually rest in place for a while; in dry \
needling they may come out almost at once.

## Which should I choose?

You do not need to decide before you come. Book a [physiotherapy assessment]({book}) and \
your physiotherapist will suggest what suits your problem, or read more about \
[dry needling](/services/dry-needling/) and [acupuncture](/services/acupuncture/).
"""

HEEL_BODY = """\
If the first few steps out of bed feel like walking on a bruise, you are not alone. Morning \
heel pain is one of the most common foot problems we see.

## Why mornings are worst

Overnight the tissues under the foot and in the calf stiffen. The first steps stretch them \
suddenly, which hurts; after a few minutes of walking they warm up and the pain eases, only \
to return after sitting for a while.

## What helps

- Calf and foot strengthening, built up gradually over weeks
- Changing how much you stand, walk or run for a while rather than stopping altogether
- Supportive shoes around the house instead of bare feet or thin slippers
- Hands-on treatment and dry needling of tight calf muscles

## When to see us

If heel pain has lasted more than a few weeks, a physiotherapist can confirm what is going on \
and set out a plan. [Book a physiotherapy session]({book}) online.
"""

ARTICLES = [
    {
        "slug": "dry-needling-explained",
        "title": "Dry needling explained: trigger points, techniques and what to expect",
        "summary": (
            "What dry needling is, how it differs from acupuncture, what a trigger point is, "
            "the techniques we use, which areas we treat and the side effects to know about."
        ),
        "body": DRY_NEEDLING_BODY,
        "book": "dry-needling",
        "days_ago": 3,
        "reviewed_days_ago": 10,
        "topics": ["dry-needling", "treatments", "pain"],
        "services": ["dry-needling", "physiotherapy"],
        "conditions": ["shoulder-pain", "neck-pain", "back-pain", "heel-pain", "hip-pain"],
        "author": "tom-lindqvist",
    },
    {
        "slug": "your-first-physiotherapy-visit",
        "title": "Your first physiotherapy visit: what to expect",
        "summary": "What happens at a first appointment, what to wear and what to bring.",
        "body": FIRST_VISIT_BODY,
        "book": "physiotherapy",
        "days_ago": 40,
        "reviewed_days_ago": 420,
        "topics": ["your-visit", "treatments"],
        "services": ["physiotherapy"],
        "conditions": [],
        "author": "maya-okafor",
    },
    {
        "slug": "stretching-after-dry-needling",
        "title": "Moving and stretching after dry needling",
        "summary": (
            "How to look after a muscle in the day or two after dry needling, with four simple "
            "stretches."
        ),
        "body": STRETCHING_BODY,
        "book": "physiotherapy-follow-up",
        "days_ago": 20,
        "reviewed_days_ago": 20,
        "topics": ["dry-needling", "exercise"],
        "services": ["dry-needling"],
        "conditions": ["neck-pain", "shoulder-pain", "heel-pain", "hip-pain"],
        "author": "tom-lindqvist",
    },
    {
        "slug": "dry-needling-vs-acupuncture",
        "title": "Dry needling or acupuncture: what is the difference?",
        "summary": "Same needles, different thinking: how the two treatments compare.",
        "body": VERSUS_BODY,
        "book": "physiotherapy",
        "days_ago": 12,
        "reviewed_days_ago": 12,
        "topics": ["dry-needling", "treatments"],
        "services": ["dry-needling", "acupuncture"],
        "conditions": [],
        "author": "tom-lindqvist",
    },
    {
        "slug": "morning-heel-pain",
        "title": "Why does my heel hurt in the morning?",
        "summary": "The usual reasons behind sharp morning heel pain, and what helps it settle.",
        "body": HEEL_BODY,
        "book": "physiotherapy",
        "days_ago": 60,
        "reviewed_days_ago": 60,
        "topics": ["pain", "exercise"],
        "services": ["physiotherapy", "dry-needling"],
        "conditions": ["heel-pain"],
        "author": "maya-okafor",
    },
]


# Each article's drawn lead image, shared with the page it is closest to.
ARTICLE_IMAGES = {
    "dry-needling-explained": "dry-needling",
    "your-first-physiotherapy-visit": "room",
    "stretching-after-dry-needling": "physiotherapy",
    "dry-needling-vs-acupuncture": "acupuncture",
    "morning-heel-pain": "heel-pain",
}
