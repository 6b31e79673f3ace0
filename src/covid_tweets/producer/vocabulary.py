"""Words and phrases the synthetic generator builds tweets and profiles from.

Written for this project. The sentiment words are ones TextBlob's lexicon scores, so
the tone the generator picks shows up in the polarity the pipeline computes; the
neutral phrases avoid scored words so they do not blur that tone.
"""

from __future__ import annotations

POSITIVE_WORDS: tuple[str, ...] = (
    "great", "wonderful", "amazing", "excellent", "happy", "proud", "brilliant",
    "beautiful", "awesome", "perfect", "incredible", "impressive", "good", "delighted",
)
"""Polarity between 0.5 and 1.0 in TextBlob's lexicon."""

MILD_NEGATIVE_WORDS: tuple[str, ...] = (
    "sad", "scary", "exhausted", "useless", "frightening", "angry", "ridiculous",
)
"""Polarity between -0.3 and -0.5: grumbling, not outrage."""

STRONG_NEGATIVE_WORDS: tuple[str, ...] = (
    "terrible", "awful", "horrible", "disgusting", "devastating", "pathetic", "miserable",
)
"""Polarity -1.0."""

# Frames take one sentiment word ({word}); {topic}, {people}, {event} and {place} are
# filled from the neutral lists below.
POSITIVE_FRAMES: tuple[str, ...] = (
    "{topic} in {place} has been {word}",
    "{word} news about {topic} today",
    "Feeling {word} after {event}, thank you to {people}",
    "Such {word} work by {people} at the clinic",
    "{event} done and the staff were {word}",
    "Just {word} to see {topic} moving so quickly",
)
NEGATIVE_FRAMES: tuple[str, ...] = (
    "{topic} in {place} is {word}",
    "{word} day, {event} cancelled again",
    "The way {people} are treated is {word}",
    "Waited four hours for {event}, {word}",
    "{word} numbers from {place} this week",
    "Genuinely {word} how {topic} is being handled",
)
NEUTRAL_FRAMES: tuple[str, ...] = (
    "{event} booked for Thursday",
    "Reminder: {topic} details for {place} are on the council page",
    "{people} explain {topic} in this thread",
    "Queue at the pharmacy in {place} this morning",
    "Anyone in {place} know where to go for {event}?",
    "{topic} starts on Monday in {place}",
)
STATISTIC_FRAMES: tuple[str, ...] = (
    "{place} update: {cases:,} cases and {deaths:,} deaths reported today",
    "Daily figures for {place}\nCases: {cases:,}\nDeaths: {deaths:,}",
    "{cases:,} cases reported in {place} since yesterday",
)
"""What automated accounts post: counts, no opinion."""

TOPICS: tuple[str, ...] = (
    "the vaccine rollout", "the booster campaign", "contact tracing", "the testing centre",
    "mask guidance", "the lockdown", "school reopening", "hospital capacity", "the travel ban",
    "the curfew", "the vaccination centre", "the trial results", "quarantine hotels",
)
PEOPLE: tuple[str, ...] = (
    "the nurses", "our pharmacists", "the volunteers", "care home staff", "my GP",
    "the paramedics", "the lab teams", "hospital porters", "the ward staff", "scientists",
)
EVENTS: tuple[str, ...] = (
    "my jab", "the booster appointment", "my PCR test", "a week of quarantine",
    "the vaccine appointment", "my shift on the ward", "the flight home", "my dose",
)

PLACES: tuple[str, ...] = (
    "New York, NY", "Los Angeles, CA", "Chicago, IL", "Houston, TX", "Toronto, Ontario",
    "Vancouver, BC", "London, England", "Manchester, England", "Glasgow, Scotland",
    "Dublin, Ireland", "Paris, France", "Berlin, Germany", "Madrid, Spain", "Milano, Lombardia",
    "Mumbai, India", "New Delhi, India", "Bengaluru, India", "Lagos, Nigeria", "Nairobi, Kenya",
    "Johannesburg, South Africa", "Sydney, New South Wales", "Melbourne, Victoria",
    "Auckland, New Zealand", "Manila, Philippines", "Singapore", "São Paulo, Brasil",
    "México", "USA", "India", "United Kingdom", "Canada", "Australia", "Earth 🌍",
    "somewhere in the clouds ☁️", "Planet Earth", "she/her | Bristol",
)
"""Free text like the real column: cities with commas, countries, jokes, emoji."""

SHORT_PLACES: tuple[str, ...] = (
    "Leeds", "Boston", "Ohio", "Ontario", "Kerala", "Lagos", "Cork", "Perth", "Texas",
    "Wales", "Quebec", "Delhi", "Bavaria", "Brisbane", "Cape Town",
)
"""Places that read naturally inside a sentence."""

HASHTAGS: tuple[str, ...] = (
    "COVID19", "coronavirus", "Covid_19", "CovidVaccine", "vaccine", "StaySafe", "Lockdown",
    "WearAMask", "PfizerBioNTech", "Moderna", "NHS", "pandemic", "COVID", "SocialDistancing",
    "BoosterJab", "PublicHealth", "StayHome", "TestAndTrace", "Omicron", "vaccination",
)

MENTIONS: tuple[str, ...] = (
    "@WHO", "@CDCgov", "@NHSuk", "@healthdept", "@citycouncil", "@localnews",
    "@pharmacy_team", "@mayorsoffice",
)

POSITIVE_EMOJI: tuple[str, ...] = ("💉", "🙏", "😊", "🎉", "💪", "❤️", "👏", "🥳")
NEGATIVE_EMOJI: tuple[str, ...] = ("😡", "😢", "😷", "💔", "🤬", "😞", "🙄")
NEUTRAL_EMOJI: tuple[str, ...] = ("📊", "📈", "🦠", "🏥", "🗓️", "👇", "ℹ️")

FIRST_NAMES: tuple[str, ...] = (
    "Amira", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal",
    "Kira", "Luca", "Maya", "Nikhil", "Olu", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe",
)
LAST_NAMES: tuple[str, ...] = (
    "Adeyemi", "Brennan", "Castillo", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad",
    "Ito", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Patel",
    "Quispe", "Rossi", "Silva", "Tanaka", "Usman", "Varga", "Walsh", "Yilmaz", "Zhou",
)
HANDLE_WORDS: tuple[str, ...] = (
    "coffee", "night", "owl", "runner", "garden", "pixel", "blue", "river", "moon", "tea",
    "north", "fox", "static", "paper", "maple",
)
NAME_EMOJI: tuple[str, ...] = ("🌻", "✨", "🇬🇧", "🇮🇳", "🇺🇸", "🇨🇦", "🌈", "🐾", "☕", "🎧")

DESCRIPTION_PHRASES: tuple[str, ...] = (
    "Nurse", "Dad of two", "Mum, runner, tea drinker", "Data analyst", "Teacher",
    "Opinions are my own", "RTs are not endorsements", "Science communicator",
    "Local news reporter", "Dog person 🐶", "Pharmacist", "Student", "Retired engineer",
    "Football, food & films", "Public health researcher", "Small business owner",
    "Musician 🎸", "Gardener 🌱", "Writer", "Volunteer at the food bank", "Epidemiology PhD",
    "Coffee first ☕", "Cyclist 🚲", "Gamer", "Amateur photographer 📷",
)

SOURCES_BY_KIND: dict[str, tuple[tuple[str, float], ...]] = {
    "mobile": (("Twitter for iPhone", 0.55), ("Twitter for Android", 0.38), ("Twitter for iPad", 0.07)),
    "web": (("Twitter Web App", 1.0),),
    "publisher": (("TweetDeck", 0.55), ("Hootsuite Inc.", 0.3), ("Buffer", 0.15)),
    "automated": (("Case Counter Bot", 0.6), ("IFTTT", 0.4)),
}
"""Tweet sources (the app a tweet was posted with), grouped by the kind of account using them."""

SOURCE_KIND_WEIGHTS: dict[str, float] = {
    "mobile": 0.58,
    "web": 0.28,
    "publisher": 0.09,
    "automated": 0.05,
}
