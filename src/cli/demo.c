/*
 * masthead demo DIR: a new site filled with a fictional newsroom's articles,
 * for trying Masthead out (demo.h). The prose comes from sentence templates
 * filled from small invented vocabularies about Port Aldine, a port city, and
 * its region, the Vell Valley: politics, the economy, climate, the courts,
 * transport and culture. Every article draws from its own PRNG stream
 * (seed, index), so article k reads the same whatever N is.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/demo.h"
#include "content/content.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define BATCH 1000

/* ------------------------------------------------------------------ */
/* The newsroom                                                        */
/* ------------------------------------------------------------------ */

struct demo_author {
	const char *name, *slug, *bio;
	const char *color;
};

static const struct demo_author authors[] = {
	{ "Mara Kestrel", "mara-kestrel",
	  "Mara Kestrel covers city hall and the regional assembly. She joined the Dispatch after eight years "
	  "as a local radio reporter in the Vell Valley.",
	  "#0b6e4f" },
	{ "Tomas Ferreira-Lund", "tomas-ferreira-lund",
	  "Tomas Ferreira-Lund writes about the port, jobs and the regional economy, and edits the Monday "
	  "business briefing.",
	  "#1d3557" },
	{ "Iris Okonkwo-Hale", "iris-okonkwo-hale",
	  "Iris Okonkwo-Hale reports on the courts, policing and civil liberties. She studied law before "
	  "turning to journalism.",
	  "#7b2d26" },
	{ "Jonah Pell", "jonah-pell",
	  "Jonah Pell follows transport, housing and how Port Aldine is planned and built. He commutes by "
	  "ferry and has opinions about timetables.",
	  "#5f0f40" },
	{ "Saskia Verhoef", "saskia-verhoef",
	  "Saskia Verhoef is the Dispatch's climate and environment correspondent, from the flood barriers "
	  "of the Old Harbour to the farms of the upper valley.",
	  "#2a6f97" },
	{ "Dev Ramaswamy", "dev-ramaswamy",
	  "Dev Ramaswamy produces the Dispatch's video reports and writes about arts and culture in the city.",
	  "#9c6644" },
};

struct demo_section {
	const char *name, *slug, *description;
	enum mh_section_kind kind;
};

static const struct demo_section sections[] = {
	{ "Latest", "latest", "Everything we publish, newest first.", MH_SECTION_LATEST },
	{ "News", "news", "Reporting from Port Aldine and the Vell Valley: what happened and why it matters.",
	  MH_SECTION_PLAIN },
	{ "Staff Picks", "staff-picks", "The stories our editors think you should not miss.", MH_SECTION_PICKS },
	{ "Analysis", "analysis", "Longer pieces that explain the numbers, the arguments and what comes next.",
	  MH_SECTION_PLAIN },
	{ "Video", "video", "Explainers, interviews and reports from the Dispatch video desk.", MH_SECTION_PLAIN },
};
enum { SEC_NEWS = 1, SEC_ANALYSIS = 3, SEC_VIDEO = 4 };

static const char *const tag_names[] = {
	"City Council",	  "Regional Assembly", "Elections",	 "Budget",	   "Port Aldine Harbour",
	"Jobs",		  "Small Business",    "Housing",	 "Taxes",	   "Climate",
	"Flooding",	  "Energy",	       "Water",		 "Farming",	   "Courts",
	"Policing",	  "Civil Liberties",   "Corruption",	 "Transit",	   "Ferries",
	"Rail",		  "Cycling",	       "Roads",		 "Arts",	   "Festivals",
	"Libraries",	  "Music",	       "Education",	 "Health",	   "Tourism",
	"Protests",
};

/* ------------------------------------------------------------------ */
/* Vocabulary                                                          */
/* ------------------------------------------------------------------ */

struct person {
	const char *name, *role, *surname;
	bool she;
};

struct topic {
	const char *name;
	const char *const *subjects;
	size_t n_subjects;
	const char *const *insts;
	size_t n_insts;
	const struct person *people;
	size_t n_people;
	const int tags[6]; /* indexes into tag_names; -1 ends */
	int author;	   /* the beat reporter */
	const char *link_host;
	const char *const *link_texts;
	size_t n_link_texts;
};

#define ARR(a) a, N_OF(a)

static const char *const pol_subjects[] = {
	"the municipal budget", "the new ward boundaries", "the lobbying register", "the coalition agreement",
	"the council's ethics code", "the referendum on the harbour bridge", "the early election",
	"the spending review", "the plan to merge three districts", "the youth council proposal",
};
static const char *const pol_insts[] = {
	"the city council", "the regional assembly", "the mayor's office", "the elections board",
	"the finance committee",
};
static const struct person pol_people[] = {
	{ "Helena Brandt", "Mayor", "Brandt", true },
	{ "Oskar Vinter", "Deputy Mayor", "Vinter", false },
	{ "Ruth Abara", "Councillor", "Abara", true },
	{ "Viktor Hahl", "opposition leader", "Hahl", false },
	{ "Anton Sile", "Regional Governor", "Sile", false },
};
static const char *const pol_links[] = { "the published agenda", "the committee minutes",
					 "the draft budget", "the full text of the agreement" };

static const char *const eco_subjects[] = {
	"the port expansion", "the minimum wage agreement", "the closure of the Saltmarsh cannery",
	"the regional investment fund", "the shipyard contract", "the commercial rent freeze",
	"the tourism levy", "the new logistics hub", "the container terminal tender",
	"the plan to revive the fish market",
};
static const char *const eco_insts[] = {
	"the port authority", "the chamber of commerce", "the regional development agency",
	"the dockworkers' union", "the city's economic office",
};
static const struct person eco_people[] = {
	{ "Colm Reddy", "harbourmaster", "Reddy", false },
	{ "Lise Aurand", "chamber of commerce president", "Aurand", true },
	{ "Nadia Ferro", "union leader", "Ferro", true },
	{ "Bram Oyelaran", "economist", "Oyelaran", false },
	{ "Greta Solberg", "port authority chief executive", "Solberg", true },
};
static const char *const eco_links[] = { "the annual port report", "the agency's forecast",
					 "the tender documents", "figures from the statistics office" };

static const char *const cli_subjects[] = {
	"the flood barrier", "the coastal retreat plan", "the heat action plan", "the district heating network",
	"the wetland restoration", "the ban on gas boilers in new buildings", "the drought restrictions",
	"the offshore wind tender", "the river clean-up", "the tree-planting programme",
};
static const char *const cli_insts[] = {
	"the environment agency", "the water board", "the city's climate office", "the regional assembly",
	"the coastal protection board",
};
static const struct person cli_people[] = {
	{ "Yusuf Daley", "climate officer", "Daley", false },
	{ "Anouk Brenner", "hydrologist", "Brenner", true },
	{ "Tobias Marek", "water board chair", "Marek", false },
	{ "Elin Grau", "environment commissioner", "Grau", true },
	{ "Sami Korhonen", "farmers' association president", "Korhonen", false },
};
static const char *const cli_links[] = { "the agency's risk map", "the consultation documents",
					 "the monitoring data", "the full climate plan" };

static const char *const crt_subjects[] = {
	"the appeal over the harbour land sale", "the trial of two former port officials",
	"the ruling on protest zones", "the inquiry into police stop-and-search", "the tenants' class action",
	"the data retention case", "the corruption case against a former councillor",
	"the challenge to the night curfew", "the review of bail decisions", "the whistleblower case",
};
static const char *const crt_insts[] = {
	"the regional court", "the court of appeal", "the public prosecutor's office", "the ombudsman",
	"the police oversight board",
};
static const struct person crt_people[] = {
	{ "Miriam Castell", "Judge", "Castell", true },
	{ "Dana Whitcombe", "police chief", "Whitcombe", true },
	{ "Lucas Ferrand", "chief prosecutor", "Ferrand", false },
	{ "Hanne Ostrowski", "defence lawyer", "Ostrowski", true },
	{ "Emil Sanda", "ombudsman", "Sanda", false },
};
static const char *const crt_links[] = { "the written ruling", "the court's summary", "the indictment",
					 "the ombudsman's report" };

static const char *const trn_subjects[] = {
	"the tram extension to Northgate", "the night bus network", "the new ferry timetable",
	"the congestion charge", "the cycle lanes on Lantern Row", "the rail link to Corran",
	"the Stonebridge repairs", "the fare increase", "the plan to close the Old Harbour to cars",
	"the electric bus order",
};
static const char *const trn_insts[] = {
	"the transit authority", "Aldine Transit", "the ferry operator", "the roads department",
	"the regional rail company",
};
static const struct person trn_people[] = {
	{ "Petra Lindqvist", "transport commissioner", "Lindqvist", true },
	{ "Marcus Bell", "Aldine Transit director", "Bell", false },
	{ "Ada Nwosu", "cycling campaigner", "Nwosu", true },
	{ "Karl Demir", "ferry captain", "Demir", false },
	{ "Sofia Lamberti", "urban planner", "Lamberti", true },
};
static const char *const trn_links[] = { "the new timetable", "the route map", "the business case",
					 "the ridership figures" };

static const char *const cul_subjects[] = {
	"the harbour arts festival", "the reopening of the Municipal Theatre", "the library funding cuts",
	"the film archive", "the street music permits", "the museum's new wing", "the regional book prize",
	"jazz week", "the plan to turn the old customs house into studios", "the community radio licence",
};
static const char *const cul_insts[] = {
	"the arts council", "the culture department", "the Municipal Theatre", "the city library service",
	"the festival board",
};
static const struct person cul_people[] = {
	{ "Ines Carvalho", "festival director", "Carvalho", true },
	{ "Paul Ostrander", "museum director", "Ostrander", false },
	{ "Noor Haddad", "librarian", "Haddad", true },
	{ "Felix Moreau", "culture councillor", "Moreau", false },
	{ "June Achterberg", "composer", "Achterberg", true },
};
static const char *const cul_links[] = { "the festival programme", "the arts council's decision",
					 "the library's opening hours", "the museum's plans" };

static const struct topic topics[] = {
	{ "politics", ARR(pol_subjects), ARR(pol_insts), ARR(pol_people), { 0, 1, 2, 3, 8, -1 }, 0,
	  "council.example.org", ARR(pol_links) },
	{ "economy", ARR(eco_subjects), ARR(eco_insts), ARR(eco_people), { 4, 5, 6, 8, 29, -1 }, 1,
	  "port.example.com", ARR(eco_links) },
	{ "climate", ARR(cli_subjects), ARR(cli_insts), ARR(cli_people), { 9, 10, 11, 12, 13, -1 }, 4,
	  "environment.example.org", ARR(cli_links) },
	{ "courts", ARR(crt_subjects), ARR(crt_insts), ARR(crt_people), { 14, 15, 16, 17, 30, -1 }, 2,
	  "courts.example.org", ARR(crt_links) },
	{ "transport", ARR(trn_subjects), ARR(trn_insts), ARR(trn_people), { 18, 19, 20, 21, 22, -1 }, 3,
	  "transit.example.com", ARR(trn_links) },
	{ "culture", ARR(cul_subjects), ARR(cul_insts), ARR(cul_people), { 23, 24, 25, 26, 27, -1 }, 5,
	  "arts.example.com", ARR(cul_links) },
};

/* People who react: residents, researchers, campaigners. */
static const struct person voices[] = {
	{ "Lena Haas", "who chairs the Northgate residents' association", "Haas", true },
	{ "Rafael Quint", "a researcher at the University of Port Aldine", "Quint", false },
	{ "Marta Oduya", "a shop owner in the Old Harbour", "Oduya", true },
	{ "Henrik Falk", "a retired engineer who has followed the issue for years", "Falk", false },
	{ "Priya Castellan", "a spokesperson for the tenants' union", "Castellan", true },
	{ "Owen Strand", "a teacher in Millbrook", "Strand", false },
	{ "Beatriz Lowe", "who runs a bakery on Lantern Row", "Lowe", true },
	{ "Tarik Benn", "a member of the youth council", "Benn", false },
};

static const char *const places[] = {
	"Northgate", "the Old Harbour", "Kestrel Hill", "Millbrook", "Saltmarsh", "the Riverside quarter",
	"Eastwick", "Lantern Row", "Fairhaven", "Stonebridge",
};
static const char *const towns[] = { "Corran", "Ashby Ferry", "Lowmere", "Tarnfield", "Upper Vell" };
static const char *const days[] = { "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday",
				    "on Saturday", "on Sunday", "this week", "late on Thursday", "earlier this month" };
static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July",
				      "August", "September", "October", "November", "December" };

/* Remarks people make; each stands alone inside quotation marks. */
static const char *const quotes[] = {
	"We have listened to residents and we have changed the plan",
	"This is not the end of the conversation -- it is the start of one",
	"Nobody in {P} was asked, and that is the real problem",
	"The numbers simply do not add up",
	"We will keep pushing until this is done properly",
	"It is a good day for {P}",
	"I understand the frustration, but the alternative would cost far more",
	"People here have heard promises before",
	"We need a decision, not another study",
	"The process was rushed and the public deserves better",
	"Every delay makes the final bill bigger",
	"This was never about politics; it is about whether the plan works",
	"We are not against change. We are against being ignored",
	"The evidence is clear, and we intend to act on it",
	"I would ask everyone to read the report before drawing conclusions",
	"If it works in {P}, it can work anywhere in the valley",
};

static const char *const causes[] = {
	"higher construction costs", "a shortfall in regional funding", "delays in the tender process",
	"rising interest rates", "a legal challenge", "staff shortages", "the unusually wet winter",
	"new safety requirements",
};

static const char *const outlets[][2] = {
	{ "The Vell Valley Courier", "https://courier.example.com/" },
	{ "Harbour Radio", "https://harbourradio.example.org/news/" },
	{ "Aldine Evening Post", "https://eveningpost.example.com/" },
	{ "Coastline Weekly", "https://coastline.example.org/stories/" },
	{ "Northgate Community News", "https://northgate-news.example.org/" },
};

/* ------------------------------------------------------------------ */
/* Templates                                                           */
/* ------------------------------------------------------------------ */

/* Placeholders: {X} subject, {I} institution, {I2} another, {O} the
 * official with role, {S} their surname, {HE}/{HIS} their pronouns, {V} a
 * voice with description, {VS} the voice's surname, {P} a district, {T} a
 * town of the region, {D} a day, {MO} a month, {M} an amount, {N} a count,
 * {Q} a percentage, {C} a cause, {F}/{A} votes for/against, {LINK} a link,
 * {QUOTE} a remark. A '^' after the name capitalises it: {X^}. */

static const char *const headlines[] = {
	"{I^} backs {X} after a late-night session",
	"{S} under pressure over {X}",
	"{P^} residents push back against {X}",
	"{I^} delays {X} again",
	"{X^} to cost {M} more than planned",
	"{I^} opens inquiry into {X}",
	"Vote on {X} set for {MO}",
	"{S} promises answers on {X}",
	"Critics say {X} leaves {P} behind",
	"{I^} and {I2} clash over {X}",
	"{X^} wins narrow approval",
	"New figures cast doubt on {X}",
	"{T} watches {X} closely",
	"{S} defends {X} as opposition grows",
	"{X^} faces fresh legal questions",
	"What went wrong with {X}",
};
static const char *const analysis_headlines[] = {
	"What {X} means for {P}",
	"Inside the fight over {X}",
	"Five questions about {X}",
	"How {P} became the test case for {X}",
	"{X^}: the numbers behind the argument",
	"Why {X} divides the valley",
	"The long road to {X}",
	"Who pays for {X}?",
};
static const char *const video_headlines[] = {
	"Explained: {X}",
	"On the ground in {P}: {X}",
	"{S} on {X}: the full interview",
	"Why {X} matters",
	"We asked {P} about {X}",
};

static const char *const deks[] = {
	"{I^} says the plan will pay for itself; people in {P} are not convinced.",
	"The decision, expected since {MO}, leaves several questions open.",
	"A {NP}-page report seen by the Dispatch raises new questions about {X}.",
	"Residents, officials and experts disagree on what should come next.",
	"The vote was {F} to {A}, closer than the mayor's office had hoped.",
	"Costs have risen by {Q} since the first estimate, largely because of {C}.",
	"{S} says the timetable holds. Not everyone in {T} believes it.",
	"What was meant to be a formality has turned into a test of trust.",
};

static const char *const openings[] = {
	"{I^} {D} approved {X}, ending months of uncertainty for people in {P}.",
	"{X^} moved a step closer {D} when {I} voted {F} to {A} in favour.",
	"Plans for {X} were thrown into doubt {D} after {I} asked for more time.",
	"For the people of {P}, {X} has stopped being an abstract debate.",
	"{O^} {D} defended {X} before a packed public meeting in {P}.",
	"The future of {X} is once again in the hands of {I}.",
	"A dispute over {X} escalated {D}, with {I} and {I2} trading accusations.",
	"{I^} has published new figures on {X}, and they make uncomfortable reading.",
};

static const char *const middles[] = {
	"The plan would cost an estimated {M}, according to figures released by {I}.",
	"That is {Q} more than the estimate presented last year, a gap officials attributed to {C}.",
	"In {P}, where many families have lived for generations, the reaction was mixed.",
	"Supporters say the change is overdue; opponents call the timetable \"unrealistic.\"",
	"Officials in {T} said they would follow the outcome closely, since a similar plan is under discussion there.",
	"The proposal has been revised {NR} times since it was first presented.",
	"According to {LINK}, about {N} households would be directly affected.",
	"A spokesperson for {I2} declined to comment on the details but said a decision would follow \"within weeks.\"",
	"Critics point out that a smaller version of the scheme was abandoned a decade ago -- for many of the same reasons.",
	"The opposition has asked for an independent review, which {I} has so far refused.",
	"Much depends on funding from the regional assembly, which will set its budget in {MO}.",
	"Local businesses say they were consulted late, if at all.",
	"The figures are set out in {LINK}, published {D}.",
	"Turnout at the public consultation was low: {N} responses in a city of more than 400,000 people.",
	"Several members of {I} said privately that they expected further delays.",
	"It's the third time this year that {X} has come before {I}.",
};

static const char *const quote_paras[] = {
	"\"{QUOTE},\" {O} said {D}. \"{QUOTE2}.\"",
	"\"{QUOTE},\" said {V}.",
	"{S} was blunter. \"{QUOTE},\" {HE} told the Dispatch.",
	"{VS}, {V_DESC}, put it differently: \"{QUOTE}.\"",
	"Asked whether the plan would survive the next election, {S} paused. \"{QUOTE},\" {HE} said.",
	"\"{QUOTE}\" -- that was the message from {VS} at Tuesday's meeting.",
};

static const char *const statements[] = {
	"{I^} is aware of the concerns raised about {X} and takes them seriously.",
	"We have commissioned an independent assessment, which will be published in full when it is complete.",
	"No final decision has been taken. Any change will be subject to the usual consultation, and residents of {P} will have the opportunity to comment.",
	"We remain committed to delivering {X} on time and within the agreed budget of {M}.",
	"We regret the inconvenience caused and thank the public for its patience.",
	"Questions about individual cases should be directed to the relevant department; we are unable to comment further while proceedings are ongoing.",
};

static const char *const headings[] = {
	"What happens next", "The money", "How we got here", "The view from {P}", "What the critics say",
};

static const char *const closings[] = {
	"{I^} is expected to return to the issue in {MO}.",
	"A final decision is due before the end of {MO}.",
	"The next public meeting on {X} takes place in {P} {D}.",
	"{S} said {HE} would publish a timetable \"as soon as it is realistic to do so.\"",
	"For now, the people of {P} are waiting --- again.",
	"Whatever happens, {X} will remain one of the defining questions of the year in Port Aldine.",
};

/* ------------------------------------------------------------------ */
/* Filling templates                                                   */
/* ------------------------------------------------------------------ */

struct facts {
	const struct topic *t;
	const char *subject, *inst, *inst2, *place, *town, *month, *cause;
	const struct person *who, *voice;
	char money[32];
	int count, pct, votes_for, votes_against, revisions, pages;
	/* Sentences already used in this article, so none repeats until all have. */
	uint32_t used_middles, used_quotes;
};

static const char *pick(struct mh_rng *r, const char *const *list, size_t n)
{
	return list[mh_rng_below(r, (uint32_t)n)];
}
#define PICK(r, a) pick((r), (a), N_OF(a))

static void expand(struct mh_buf *out, const char *tpl, struct facts *f, struct mh_rng *r);

/* Picks an entry not yet in *used (all bits set: start over). */
static const char *pick_fresh(struct mh_rng *r, const char *const *list, size_t n, uint32_t *used)
{
	MH_ASSERT(n <= 32);
	uint32_t all = n == 32 ? 0xffffffffu : (1u << n) - 1;
	if ((*used & all) == all)
		*used = 0;
	uint32_t i = mh_rng_below(r, (uint32_t)n);
	while (*used & (1u << i))
		i = (i + 1) % (uint32_t)n;
	*used |= 1u << i;
	return list[i];
}

/* Appends s, with its first letter capitalised when cap. */
static void put(struct mh_buf *out, const char *s, bool cap)
{
	if (cap && s[0] >= 'a' && s[0] <= 'z') {
		mh_buf_append_ch(out, (char)(s[0] - 32));
		s++;
	}
	mh_buf_append_c(out, s);
}

static void put_link(struct mh_buf *out, const struct facts *f, struct mh_rng *r)
{
	/* https://council.example.org/the-municipal-budget/the-published-agenda */
	const char *text = pick(r, f->t->link_texts, f->t->n_link_texts);
	struct mh_buf path = MH_BUF_INIT;
	mh_content_slugify(&path, mh_str_c(f->subject));
	mh_buf_append_ch(&path, '/');
	mh_content_slugify(&path, mh_str_c(text));
	mh_buf_printf(out, "[%s](https://%s/%s)", text, f->t->link_host, mh_buf_cstr(&path));
	mh_buf_free(&path);
}

static void put_person(struct mh_buf *out, const struct person *p, bool cap)
{
	/* "Mayor Helena Brandt" but "harbourmaster Colm Reddy" */
	put(out, p->role, cap);
	mh_buf_append_ch(out, ' ');
	mh_buf_append_c(out, p->name);
}

static void expand(struct mh_buf *out, const char *tpl, struct facts *f, struct mh_rng *r)
{
	for (const char *p = tpl; *p != '\0'; p++) {
		if (*p != '{') {
			mh_buf_append_ch(out, *p);
			continue;
		}
		const char *end = strchr(p, '}');
		MH_ASSERT(end != NULL);
		char key[16];
		size_t len = (size_t)(end - p - 1);
		MH_ASSERT(len < sizeof(key));
		memcpy(key, p + 1, len);
		key[len] = '\0';
		bool cap = len > 0 && key[len - 1] == '^';
		if (cap)
			key[len - 1] = '\0';
		p = end;
		if (strcmp(key, "X") == 0)
			put(out, f->subject, cap);
		else if (strcmp(key, "I") == 0)
			put(out, f->inst, cap);
		else if (strcmp(key, "I2") == 0)
			put(out, f->inst2, cap);
		else if (strcmp(key, "O") == 0)
			put_person(out, f->who, cap);
		else if (strcmp(key, "S") == 0)
			put(out, f->who->surname, cap);
		else if (strcmp(key, "HE") == 0)
			put(out, f->who->she ? "she" : "he", cap);
		else if (strcmp(key, "V") == 0)
			mh_buf_printf(out, "%s, %s", f->voice->name, f->voice->role);
		else if (strcmp(key, "VS") == 0)
			put(out, f->voice->name, cap);
		else if (strcmp(key, "V_DESC") == 0)
			put(out, f->voice->role, cap);
		else if (strcmp(key, "P") == 0)
			put(out, f->place, cap);
		else if (strcmp(key, "T") == 0)
			put(out, f->town, cap);
		else if (strcmp(key, "D") == 0)
			put(out, PICK(r, days), cap);
		else if (strcmp(key, "MO") == 0)
			put(out, f->month, cap);
		else if (strcmp(key, "M") == 0)
			put(out, f->money, cap);
		else if (strcmp(key, "N") == 0)
			mh_buf_printf(out, "%d", f->count);
		else if (strcmp(key, "NR") == 0)
			mh_buf_printf(out, "%d", f->revisions);
		else if (strcmp(key, "NP") == 0)
			mh_buf_printf(out, "%d", f->pages);
		else if (strcmp(key, "Q") == 0)
			mh_buf_printf(out, "%d%%", f->pct);
		else if (strcmp(key, "C") == 0)
			put(out, f->cause, cap);
		else if (strcmp(key, "F") == 0)
			mh_buf_printf(out, "%d", f->votes_for);
		else if (strcmp(key, "A") == 0)
			mh_buf_printf(out, "%d", f->votes_against);
		else if (strcmp(key, "LINK") == 0)
			put_link(out, f, r);
		else if (strcmp(key, "QUOTE") == 0 || strcmp(key, "QUOTE2") == 0)
			expand(out, pick_fresh(r, quotes, N_OF(quotes), &f->used_quotes), f, r);
		else
			MH_ASSERT(!"unknown placeholder");
	}
}

static void sentence(struct mh_buf *out, const char *tpl, struct facts *f, struct mh_rng *r)
{
	if (out->len > 0 && out->ptr[out->len - 1] != '\n' && out->ptr[out->len - 1] != ' ' &&
	    out->ptr[out->len - 1] != '>')
		mh_buf_append_ch(out, ' ');
	expand(out, tpl, f, r);
}

/* ------------------------------------------------------------------ */
/* Illustrations                                                       */
/* ------------------------------------------------------------------ */

struct palette {
	const char *a, *b, *accent, *words;
};
static const struct palette palettes[] = {
	{ "#0b3954", "#087e8b", "#ff5a5f", "deep blue and teal with coral" },
	{ "#f4a261", "#e76f51", "#264653", "warm orange and red with dark green" },
	{ "#2b2d42", "#8d99ae", "#ef233c", "slate grey with a red accent" },
	{ "#006d77", "#83c5be", "#ffddd2", "sea green with pale pink" },
	{ "#3d405b", "#81b29a", "#f2cc8f", "muted indigo and sage with sand" },
	{ "#22223b", "#4a4e69", "#c9ada7", "night blue with dusty rose" },
	{ "#1b4332", "#52b788", "#d8f3dc", "forest greens" },
	{ "#5a189a", "#9d4edd", "#ffb703", "violet with a yellow accent" },
};
static const char *const shape_words[] = { "overlapping circles", "diagonal bands", "rolling waves",
					   "a grid of blocks" };
#define N_IMAGES 16

static void svg_image(struct mh_buf *b, int v, struct mh_buf *alt)
{
	struct mh_rng r;
	mh_rng_seed(&r, 0x5eed0000u + (uint64_t)v);
	const struct palette *pal = &palettes[v % N_OF(palettes)];
	int kind = (v / (int)N_OF(palettes) + v) % 4;
	mh_buf_printf(b,
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1200 675\" width=\"1200\" height=\"675\">\n"
		      "<defs><linearGradient id=\"g\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\">"
		      "<stop offset=\"0\" stop-color=\"%s\"/><stop offset=\"1\" stop-color=\"%s\"/>"
		      "</linearGradient></defs>\n"
		      "<rect width=\"1200\" height=\"675\" fill=\"url(#g)\"/>\n",
		      pal->a, pal->b);
	switch (kind) {
	case 0:
		for (int i = 0; i < 7; i++)
			mh_buf_printf(b, "<circle cx=\"%u\" cy=\"%u\" r=\"%u\" fill=\"%s\" opacity=\"0.%u\"/>\n",
				      mh_rng_below(&r, 1200), mh_rng_below(&r, 675), 40 + mh_rng_below(&r, 220),
				      i % 2 ? pal->accent : pal->b, 3 + mh_rng_below(&r, 5));
		break;
	case 1:
		for (int i = 0; i < 6; i++) {
			unsigned x = 100 + mh_rng_below(&r, 1000), w = 40 + mh_rng_below(&r, 140);
			mh_buf_printf(b, "<polygon points=\"%u,0 %u,0 %u,675 %u,675\" fill=\"%s\" opacity=\"0.%u\"/>\n",
				      x, x + w, x + w - 400, x - 400, i % 2 ? pal->accent : pal->a,
				      4 + mh_rng_below(&r, 5));
		}
		break;
	case 2:
		for (int i = 0; i < 4; i++) {
			unsigned y = 200 + 110 * (unsigned)i, h = 40 + mh_rng_below(&r, 80);
			mh_buf_printf(b,
				      "<path d=\"M0 %u Q300 %u 600 %u T1200 %u V675 H0 Z\" fill=\"%s\" opacity=\"0.%u\"/>\n",
				      y, y - h, y, y, i % 2 ? pal->accent : pal->a, 3 + mh_rng_below(&r, 4));
		}
		break;
	default:
		for (int row = 0; row < 4; row++)
			for (int col = 0; col < 7; col++)
				if (mh_rng_below(&r, 3) != 0)
					mh_buf_printf(b,
						      "<rect x=\"%d\" y=\"%d\" width=\"150\" height=\"130\" rx=\"12\" "
						      "fill=\"%s\" opacity=\"0.%u\"/>\n",
						      40 + col * 165, 50 + row * 150,
						      (row + col) % 3 ? pal->accent : pal->a, 2 + mh_rng_below(&r, 7));
		break;
	}
	mh_buf_append_c(b, "</svg>\n");
	mh_buf_printf(alt, "Abstract illustration: %s in %s", shape_words[kind], pal->words);
}

static void svg_avatar(struct mh_buf *b, const struct demo_author *au)
{
	char initials[3] = { au->name[0], 0, 0 };
	const char *space = strrchr(au->name, ' ');
	if (space != NULL)
		initials[1] = space[1];
	mh_buf_printf(b,
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 256 256\" width=\"256\" height=\"256\">\n"
		      "<circle cx=\"128\" cy=\"128\" r=\"128\" fill=\"%s\"/>\n"
		      "<text x=\"128\" y=\"128\" dy=\"0.35em\" text-anchor=\"middle\" font-family=\"sans-serif\" "
		      "font-size=\"104\" fill=\"#ffffff\">%s</text>\n"
		      "</svg>\n",
		      au->color, initials);
}

static int write_file(const char *dir, const char *name, struct mh_buf *b, struct mh_buf *err)
{
	struct mh_buf path = MH_BUF_INIT;
	mh_buf_printf(&path, "%s/%s", dir, name);
	int rc = 0;
	if (!mh_file_write_atomic(mh_buf_cstr(&path), b->ptr, b->len)) {
		mh_buf_printf(err, "%s: cannot write: %s", mh_buf_cstr(&path), strerror(errno));
		rc = 1;
	}
	mh_buf_free(&path);
	return rc;
}

static int make_dir(const char *path, struct mh_buf *err)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		mh_buf_printf(err, "%s: cannot create folder: %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Articles                                                            */
/* ------------------------------------------------------------------ */

/* Slugs already used, so that a repeated headline gets "-2", "-3". */
struct slug_set {
	char **slots;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Adds s; false if it was there already. */
static bool slug_set_add(struct slug_set *set, const char *s)
{
	if ((set->n + 1) * 2 > set->cap) {
		struct slug_set bigger = { calloc(set->cap ? set->cap * 2 : 1024, sizeof(char *)),
					   set->cap ? set->cap * 2 : 1024, 0 };
		MH_ASSERT(bigger.slots != NULL);
		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i] != NULL)
				slug_set_add(&bigger, set->slots[i]), free(set->slots[i]);
		free(set->slots);
		*set = bigger;
	}
	size_t i = hash_str(s) & (set->cap - 1);
	while (set->slots[i] != NULL) {
		if (strcmp(set->slots[i], s) == 0)
			return false;
		i = (i + 1) & (set->cap - 1);
	}
	set->slots[i] = strdup(s);
	MH_ASSERT(set->slots[i] != NULL);
	set->n++;
	return true;
}

static void slug_set_free(struct slug_set *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
}

struct gen {
	struct mh_store *s;
	int64_t section_ids[N_OF(sections)];
	int64_t author_ids[N_OF(authors)];
	int64_t tag_ids[N_OF(tag_names)];
	char image_alts[N_IMAGES][160];
	struct slug_set slugs;
	struct mh_buf md, text, slug;
};

enum article_kind { KIND_PUBLISHED, KIND_DRAFT, KIND_SCHEDULED };

static void video_id(struct mh_rng *r, char id[12])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	for (int i = 0; i < 11; i++)
		id[i] = alphabet[mh_rng_below(r, 64)];
	id[11] = '\0';
}

/* Writes the Markdown body of one article into g->md. */
static void write_body(struct gen *g, struct mh_rng *r, struct facts *f, int section, bool subscribe)
{
	struct mh_buf *md = &g->md;
	mh_buf_reset(md);
	int paras = 4 + (int)mh_rng_below(r, 9); /* 4..12 */
	int written = 0;

	/* Opening: one or two sentences. */
	sentence(md, PICK(r, openings), f, r);
	if (mh_rng_below(r, 2))
		sentence(md, pick_fresh(r, middles, N_OF(middles), &f->used_middles), f, r);
	mh_buf_append_c(md, "\n\n");
	written++;

	if (section == SEC_VIDEO) {
		char id[12];
		video_id(r, id);
		if (mh_rng_below(r, 2))
			mh_buf_printf(md, "https://www.youtube.com/watch?v=%s\n\n", id);
		else
			mh_buf_printf(md, "https://youtu.be/%s\n\n", id);
	}

	bool statement_done = false, heading_done = false;
	while (written < paras - 1) {
		uint32_t kind = mh_rng_below(r, 10);
		if (kind < 3) {
			sentence(md, PICK(r, quote_paras), f, r);
			mh_buf_append_c(md, "\n\n");
		} else if (kind == 3 && !statement_done) {
			statement_done = true;
			mh_buf_reset(&g->text);
			put(&g->text, f->inst, true);
			mh_buf_printf(md, "%s said in a statement:\n\n", mh_buf_cstr(&g->text));
			int sp = 1 + (int)mh_rng_below(r, 3);
			uint32_t first = mh_rng_below(r, N_OF(statements));
			for (int i = 0; i < sp; i++) {
				mh_buf_append_c(md, i == 0 ? "> " : ">\n> ");
				expand(md, statements[(first + (uint32_t)i) % N_OF(statements)], f, r);
				mh_buf_append_ch(md, '\n');
			}
			mh_buf_append_ch(md, '\n');
		} else if (kind == 4 && section == SEC_ANALYSIS && !heading_done && written >= 2) {
			heading_done = true;
			mh_buf_append_c(md, "## ");
			expand(md, PICK(r, headings), f, r);
			mh_buf_append_c(md, "\n\n");
			continue; /* a heading is not a paragraph */
		} else {
			int n = 2 + (int)mh_rng_below(r, 2);
			for (int i = 0; i < n; i++)
				sentence(md, pick_fresh(r, middles, N_OF(middles), &f->used_middles), f, r);
			mh_buf_append_c(md, "\n\n");
		}
		written++;
	}
	sentence(md, PICK(r, closings), f, r);
	mh_buf_append_c(md, "\n");
	if (subscribe)
		mh_buf_append_c(md, "\n*Subscribe to [our video channel](" MH_DEMO_VIDEO_CHANNEL
				    ") for weekly explainers and interviews from Port Aldine.*\n");
}

static int article(struct gen *g, struct mh_arena *a, uint64_t seed, int index, enum article_kind kind,
		   int64_t published_at, struct mh_demo_stats *stats, struct mh_buf *err)
{
	struct mh_rng r;
	mh_rng_seed(&r, seed * 0x9e3779b97f4a7c15ull + (uint64_t)index * 0xbf58476d1ce4e5b9ull + 1);
	struct facts f = { 0 };
	f.t = &topics[mh_rng_below(&r, N_OF(topics))];
	f.subject = pick(&r, f.t->subjects, f.t->n_subjects);
	f.inst = pick(&r, f.t->insts, f.t->n_insts);
	do
		f.inst2 = pick(&r, f.t->insts, f.t->n_insts);
	while (f.inst2 == f.inst);
	f.who = &f.t->people[mh_rng_below(&r, (uint32_t)f.t->n_people)];
	f.voice = &voices[mh_rng_below(&r, N_OF(voices))];
	f.place = PICK(&r, places);
	f.town = PICK(&r, towns);
	f.month = PICK(&r, months);
	f.cause = PICK(&r, causes);
	f.count = 40 + (int)mh_rng_below(&r, 900);
	f.revisions = 2 + (int)mh_rng_below(&r, 6);
	f.pages = 12 + (int)mh_rng_below(&r, 230);
	f.pct = 4 + (int)mh_rng_below(&r, 60);
	f.votes_for = 22 + (int)mh_rng_below(&r, 14);
	f.votes_against = 8 + (int)mh_rng_below(&r, 13);
	uint32_t millions = 2 + mh_rng_below(&r, 480);
	snprintf(f.money, sizeof(f.money), "\xe2\x82\xac%u.%u million", millions, mh_rng_below(&r, 10));

	uint32_t sp = mh_rng_below(&r, 100);
	int section = sp < 55 ? SEC_NEWS : sp < 85 ? SEC_ANALYSIS : SEC_VIDEO;

	/* Headline and dek. */
	mh_buf_reset(&g->text);
	if (section == SEC_ANALYSIS)
		expand(&g->text, PICK(&r, analysis_headlines), &f, &r);
	else if (section == SEC_VIDEO)
		expand(&g->text, PICK(&r, video_headlines), &f, &r);
	else
		expand(&g->text, PICK(&r, headlines), &f, &r);
	if (section == SEC_VIDEO)
		mh_buf_append_c(&g->text, " (Video)");
	const char *headline = mh_arena_strndup(a, g->text.ptr, g->text.len);
	mh_buf_reset(&g->text);
	expand(&g->text, PICK(&r, deks), &f, &r);
	const char *dek = mh_arena_strndup(a, g->text.ptr, g->text.len);

	bool subscribe = section == SEC_VIDEO || mh_rng_below(&r, 5) == 0;
	write_body(g, &r, &f, section, subscribe);

	/* Byline: the beat reporter, sometimes with a colleague; video pieces
	 * are co-produced by the video desk. */
	struct mh_author *byline = MH_NEW_ARRAY(a, struct mh_author, 2);
	size_t n_authors = 1;
	int first = f.t->author;
	if (mh_rng_below(&r, 6) == 0)
		first = (int)mh_rng_below(&r, N_OF(authors));
	byline[0].id = g->author_ids[first];
	int second = section == SEC_VIDEO ? 5 : mh_rng_below(&r, 5) == 0 ? (int)mh_rng_below(&r, N_OF(authors)) : -1;
	if (second >= 0 && second != first)
		byline[n_authors++].id = g->author_ids[second];

	struct mh_tag *tags = MH_NEW_ARRAY(a, struct mh_tag, 3);
	size_t n_tags = 0;
	int avail = 0;
	while (f.t->tags[avail] >= 0)
		avail++;
	int want = 1 + (int)mh_rng_below(&r, 3);
	uint32_t start = mh_rng_below(&r, (uint32_t)avail);
	for (int i = 0; i < want; i++)
		tags[n_tags++].id = g->tag_ids[f.t->tags[(start + (uint32_t)i * 2) % (uint32_t)avail]];

	struct mh_article art = {
		.headline = headline,
		.dek = dek,
		.body_md = mh_arena_strndup(a, g->md.ptr, g->md.len),
		.section_id = g->section_ids[section],
		.authors = byline,
		.n_authors = n_authors,
		.tags = tags,
		.n_tags = n_tags,
		.staff_pick = mh_rng_below(&r, 10) == 0,
		.status = kind == KIND_DRAFT ? MH_ARTICLE_DRAFT
			  : kind == KIND_SCHEDULED ? MH_ARTICLE_SCHEDULED
						   : MH_ARTICLE_PUBLISHED,
		.published_at = kind == KIND_DRAFT ? 0 : published_at,
	};
	if (mh_rng_below(&r, 100) < 85) {
		int v = (int)mh_rng_below(&r, N_IMAGES);
		art.image_url = mh_arena_printf(a, "/media/demo/illustration-%02d.svg", v + 1);
		art.image_alt = g->image_alts[v];
	}
	if (mh_rng_below(&r, 100) < 30) {
		uint32_t o = mh_rng_below(&r, N_OF(outlets));
		mh_buf_reset(&g->slug);
		mh_content_slugify(&g->slug, mh_str_c(f.subject));
		art.via_name = outlets[o][0];
		art.via_url = mh_arena_printf(a, "%s%s", outlets[o][1], mh_buf_cstr(&g->slug));
	}
	/* Reads: most pieces a few hundred, some thousands, a few tens of thousands. */
	uint32_t vb = mh_rng_below(&r, 100);
	int64_t views = vb < 60 ? 80 + mh_rng_below(&r, 1900) : vb < 92 ? 2000 + mh_rng_below(&r, 8000)
								  : 10000 + mh_rng_below(&r, 60000);
	if (art.staff_pick)
		views += 1500 + mh_rng_below(&r, 5000);
	art.views = kind == KIND_PUBLISHED ? views : 0;
	if (kind != KIND_DRAFT) {
		art.created_at = published_at - 3600 - mh_rng_below(&r, 3 * 86400);
		art.updated_at = published_at + (mh_rng_below(&r, 8) == 0 ? 3600 + mh_rng_below(&r, 86400) : 0);
	} else {
		art.created_at = published_at - mh_rng_below(&r, 86400);
		art.updated_at = art.created_at;
	}

	/* The slug: from the headline, "-2", "-3" ... when it repeats. */
	mh_buf_reset(&g->slug);
	mh_content_slugify(&g->slug, mh_str_c(headline));
	size_t base_len = g->slug.len;
	for (int k = 2; !slug_set_add(&g->slugs, mh_buf_cstr(&g->slug)); k++) {
		g->slug.len = base_len > 72 ? 72 : base_len;
		while (g->slug.len > 0 && g->slug.ptr[g->slug.len - 1] == '-')
			g->slug.len--;
		mh_buf_printf(&g->slug, "-%d", k);
	}
	art.slug = mh_arena_strndup(a, g->slug.ptr, g->slug.len);

	if (mh_content_prepare_article(a, &art, err) != MH_OK) {
		/* The generator made something invalid: say which article. */
		struct mh_buf why = MH_BUF_INIT;
		mh_buf_append_str(&why, mh_buf_str(err));
		mh_buf_reset(err);
		mh_buf_printf(err, "article %d (%s): %s", index, art.slug, mh_buf_cstr(&why));
		mh_buf_free(&why);
		return 1;
	}
	if (mh_store_article_save(g->s, &art, err) != MH_OK)
		return 1;
	if (stats != NULL) {
		stats->articles++;
		stats->published += kind == KIND_PUBLISHED;
		stats->drafts += kind == KIND_DRAFT;
		stats->scheduled += kind == KIND_SCHEDULED;
		stats->picks += art.staff_pick;
	}
	return 0;
}

static int setup_newsroom(struct gen *g, const char *site_dir, struct mh_demo_stats *st, struct mh_buf *err)
{
	struct mh_buf path = MH_BUF_INIT, file = MH_BUF_INIT, alt = MH_BUF_INIT;
	int rc = 1;
	mh_buf_printf(&path, "%s/media", site_dir);
	if (make_dir(mh_buf_cstr(&path), err) != 0)
		goto out;
	mh_buf_append_c(&path, "/demo");
	if (make_dir(mh_buf_cstr(&path), err) != 0)
		goto out;

	for (int v = 0; v < N_IMAGES; v++) {
		char name[40];
		mh_buf_reset(&file);
		mh_buf_reset(&alt);
		svg_image(&file, v, &alt);
		snprintf(g->image_alts[v], sizeof(g->image_alts[v]), "%s", mh_buf_cstr(&alt));
		snprintf(name, sizeof(name), "illustration-%02d.svg", v + 1);
		if (write_file(mh_buf_cstr(&path), name, &file, err) != 0)
			goto out;
		st->images++;
	}

	for (size_t i = 0; i < N_OF(sections); i++) {
		struct mh_section sec = { .slug = sections[i].slug, .name = sections[i].name,
					  .description = sections[i].description, .position = (int)i,
					  .kind = sections[i].kind };
		if (mh_store_section_save(g->s, &sec, err) != MH_OK)
			goto out;
		g->section_ids[i] = sec.id;
		st->sections++;
	}
	for (size_t i = 0; i < N_OF(authors); i++) {
		char name[80], url[100];
		snprintf(name, sizeof(name), "avatar-%s.svg", authors[i].slug);
		snprintf(url, sizeof(url), "/media/demo/%s", name);
		mh_buf_reset(&file);
		svg_avatar(&file, &authors[i]);
		if (write_file(mh_buf_cstr(&path), name, &file, err) != 0)
			goto out;
		st->images++;
		struct mh_author au = { .slug = authors[i].slug, .name = authors[i].name, .bio = authors[i].bio,
					.avatar_url = url };
		if (mh_store_author_save(g->s, &au, err) != MH_OK)
			goto out;
		g->author_ids[i] = au.id;
		st->authors++;
	}
	for (size_t i = 0; i < N_OF(tag_names); i++) {
		mh_buf_reset(&g->slug);
		mh_content_slugify(&g->slug, mh_str_c(tag_names[i]));
		struct mh_tag t = { .slug = mh_buf_cstr(&g->slug), .name = tag_names[i] };
		if (mh_store_tag_ensure(g->s, &t, err) != MH_OK)
			goto out;
		g->tag_ids[i] = t.id;
		st->tags++;
	}
	rc = 0;
out:
	mh_buf_free(&path);
	mh_buf_free(&file);
	mh_buf_free(&alt);
	return rc;
}

int mh_demo_generate(struct mh_store *s, const char *site_dir, int n, uint64_t seed, int64_t now,
		     mh_demo_progress_fn progress, void *progress_arg, struct mh_demo_stats *stats,
		     struct mh_buf *err)
{
	struct mh_demo_stats local;
	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (n < 1 || n > MH_DEMO_MAX_ARTICLES) {
		mh_buf_printf(err, "articles: expected 1 to %d, got %d", MH_DEMO_MAX_ARTICLES, n);
		return 1;
	}
	struct gen *g = calloc(1, sizeof(*g));
	MH_ASSERT(g != NULL);
	g->s = s;
	g->md = g->text = g->slug = MH_BUF_INIT;
	int rc = 1;
	bool bulk = n > BATCH && mh_store_bulk_load(s, true) == MH_OK;
	if (mh_store_begin(s) != MH_OK) {
		mh_buf_printf(err, "cannot start a transaction (database busy?)");
		goto out;
	}
	if (setup_newsroom(g, site_dir, stats, err) != 0)
		goto rollback;

	/* Article 0 is the newest. The first three are scheduled into the next
	 * days, a handful are drafts; the rest are published, a few per day for
	 * small sites and closer together for big ones (about three years in all). */
	int scheduled = n >= 20 ? 3 : 0;
	int64_t gap = 3 * 365 * 86400LL / n;
	if (gap < 600)
		gap = 600;
	if (gap > 8 * 3600)
		gap = 8 * 3600;
	struct mh_rng timing;
	mh_rng_seed(&timing, seed ^ 0x7431);
	int64_t t = now;
	struct mh_arena *a = mh_arena_new();
	for (int i = 0; i < n; i++) {
		enum article_kind kind = KIND_PUBLISHED;
		int64_t when;
		if (i < scheduled) {
			kind = KIND_SCHEDULED;
			when = now + 86400 * (i + 1) + 3600 * (int64_t)mh_rng_below(&timing, 10);
		} else {
			if (n >= 20 && (i == 7 || i == 19 || i == 53 || i % 997 == 500))
				kind = KIND_DRAFT;
			when = t;
			if (kind == KIND_PUBLISHED)
				t -= gap / 2 + (int64_t)mh_rng_below(&timing, (uint32_t)gap);
		}
		if (article(g, a, seed, i, kind, when, stats, err) != 0) {
			mh_arena_free(a);
			goto rollback;
		}
		if ((i + 1) % BATCH == 0 || i + 1 == n) {
			if (mh_store_commit(s) != MH_OK) {
				mh_buf_printf(err, "cannot commit articles up to %d (disk full or database busy?)", i + 1);
				mh_arena_free(a);
				goto rollback;
			}
			mh_arena_free(a);
			a = mh_arena_new();
			if (progress != NULL)
				progress(i + 1, n, progress_arg);
			if (i + 1 < n && mh_store_begin(s) != MH_OK) {
				mh_buf_printf(err, "cannot start a transaction (database busy?)");
				mh_arena_free(a);
				goto out;
			}
		}
	}
	mh_arena_free(a);
	rc = 0;
	goto out;
rollback:
	mh_store_rollback(s);
out:
	if (bulk && mh_store_bulk_load(s, false) != MH_OK && rc == 0) {
		mh_buf_printf(err, "cannot flush the database to disk");
		rc = 1;
	}
	slug_set_free(&g->slugs);
	mh_buf_free(&g->md);
	mh_buf_free(&g->text);
	mh_buf_free(&g->slug);
	free(g);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The command                                                         */
/* ------------------------------------------------------------------ */

static void demo_usage(FILE *f)
{
	fprintf(f, "usage: masthead demo DIR [--articles N] [--seed S] [--database URL]\n\n"
		   "Creates a new site in DIR filled with a fictional newsroom's articles, for\n"
		   "trying Masthead out. The same N and S always give the same articles.\n"
		   "  --articles N   how many articles (default %d, at most %d)\n"
		   "  --seed S       which articles: any whole number (default %d)\n"
		   "  --database URL masthead.db in DIR (default), a file path, sqlite:PATH, or an\n"
		   "                 empty PostgreSQL database: postgres://USER@HOST:PORT/DB\n",
		   MH_DEMO_DEFAULT_ARTICLES, MH_DEMO_MAX_ARTICLES, MH_DEMO_DEFAULT_SEED);
}

static void show_progress(int done, int total, void *arg)
{
	(void)arg;
	fprintf(stderr, "\rarticles %d/%d", done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

int mh_cli_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "articles", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 's' },
		{ "database", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int64_t n = MH_DEMO_DEFAULT_ARTICLES, seed = MH_DEMO_DEFAULT_SEED;
	const char *database = NULL;
	int c;
	opterr = 0;
	optind = 1;
	/* Options may follow DIR (getopt permutes): masthead demo DIR --articles N */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (!mh_str_to_i64(mh_str_c(optarg), &n) || n < 1) {
				fprintf(stderr, "masthead demo: --articles: expected a positive number, got '%s'\n",
					optarg);
				return 2;
			}
			if (n > MH_DEMO_MAX_ARTICLES) {
				fprintf(stderr, "masthead demo: --articles: at most %d, got '%s'\n",
					MH_DEMO_MAX_ARTICLES, optarg);
				return 2;
			}
			break;
		case 's':
			if (!mh_str_to_i64(mh_str_c(optarg), &seed) || seed < 0) {
				fprintf(stderr, "masthead demo: --seed: expected a whole number, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			database = optarg;
			break;
		case 'h':
			demo_usage(stdout);
			return 0;
		default:
			if (optopt == 'a' || optopt == 's' || optopt == 'd')
				fprintf(stderr, "masthead demo: %s: needs a value\n", argv[optind - 1]);
			else
				fprintf(stderr, "masthead demo: unknown option '%s'\n", argv[optind - 1]);
			demo_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "masthead demo: expected one folder, got %d arguments\n", argc - optind);
		demo_usage(stderr);
		return 2;
	}
	const char *dir = argv[optind];
	struct mh_buf err = MH_BUF_INIT;
	mh_buf_printf(&err, "%s/site.ini", dir);
	if (access(mh_buf_cstr(&err), F_OK) == 0) {
		fprintf(stderr, "masthead demo: %s: a site already exists here (remove it or choose another folder)\n",
			mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	mh_buf_reset(&err);

	struct mh_config cfg;
	struct mh_store *store = NULL;
	int64_t started = mh_time_now_us();
	int rc = mh_cli_site_create_at(dir, MH_DEMO_TITLE, database, &cfg, &store, &err);
	if (rc != 0) {
		fprintf(stderr, "masthead demo: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return rc;
	}
	if (!mh_config_set(cfg.path, "site", "tagline", "News and analysis from Port Aldine and the Vell Valley",
			   &err) ||
	    !mh_config_set(cfg.path, "site", "video_channel_url", MH_DEMO_VIDEO_CHANNEL, &err) ||
	    !mh_config_set(cfg.path, "site", "social",
			   "Mastodon=https://social.example.org/@aldinedispatch;Newsletter archive=https://example.org/aldine-dispatch/letters", &err)) {
		fprintf(stderr, "masthead demo: %s\n", mh_buf_cstr(&err));
		rc = 1;
		goto out;
	}
	struct mh_demo_stats st;
	if (mh_demo_generate(store, cfg.dir, (int)n, (uint64_t)seed, mh_time_now(),
			     mh_cli_progress_wanted() ? show_progress : NULL, NULL, &st, &err) != 0) {
		fprintf(stderr, "masthead demo: %s\n", mh_buf_cstr(&err));
		rc = 1;
		goto out;
	}
	/* an owner to log in with, its password shown this once */
	struct mh_buf pw = MH_BUF_INIT;
	mh_auth_password_generate(&pw);
	rc = mh_auth_init() ? mh_cli_user_create(store, MH_DEMO_OWNER, "Demo Owner", "owner", NULL, mh_buf_str(&pw), &err)
			    : 1;
	if (rc != 0) {
		fprintf(stderr, "masthead demo: owner account: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&pw);
		goto out;
	}
	printf("created %s in %s: %d articles (%d published, %d scheduled, %d drafts), %d authors, %d sections, "
	       "%d tags in %.1f s; serve it with: masthead serve --site %s\n",
	       MH_DEMO_TITLE, dir, st.articles, st.published, st.scheduled, st.drafts, st.authors, st.sections,
	       st.tags, (double)(mh_time_now_us() - started) / 1e6, dir);
	printf("log in at %s/admin/login\n  email:    %s\n  password: %s\n(shown only now: keep it, or set another "
	       "with 'masthead user passwd %s --site %s')\n",
	       cfg.site.base_url, MH_DEMO_OWNER, mh_buf_cstr(&pw), MH_DEMO_OWNER, dir);
	mh_buf_free(&pw);
out:
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	return rc;
}
