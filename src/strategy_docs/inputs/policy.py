"""National policy and legislation that frame a strategy, by nation (domain.md §6.3).

These are the defaults a commissioner in England or Wales would be expected to cite. A strategy
lists them unless it switches them off (``context.policy_drivers.national_defaults: false``) or
replaces them with its own dated list; a driver is never listed in a plan published before it.
Each default carries the year it was made (for a list item naming more than one instrument, the
latest of them).
"""

from __future__ import annotations

import datetime as dt

from strategy_docs.inputs.params import PolicyDriver
from strategy_docs.i18n import N_, translator

NATIONAL_DRIVERS: dict[str, list[tuple[str, str]]] = {
    "england": [
        (N_("Care Act 2014"), N_("Duties to promote wellbeing, prevent need, shape a diverse and sustainable care market, "
                          "and assess and support carers.")),
        (N_("Health and Care Act 2022"), N_("Integrated care boards and integrated care partnerships; joint planning of health "
                                     "and care; the CQC assessment of local authority adult social care duties.")),
        (N_("Adult Social Care Outcomes Framework (ASCOF)"), N_("The national indicators used to measure how well care and "
                                                         "support achieve the outcomes that matter to people.")),
        (N_("Joint Strategic Needs Assessment"), N_("The shared evidence base on local health and care needs that this "
                                             "strategy draws on.")),
        (N_("Market sustainability and fair cost of care"), N_("Requirements to understand the cost of care and to set out "
                                                        "how the local market will be sustained.")),
    ],
    "wales": [
        (N_("Social Services and Well-being (Wales) Act 2014"), N_("Well-being duties, population needs assessments, market "
                                                           "stability reports and regional partnership working.")),
        (N_("Well-being of Future Generations (Wales) Act 2015"), N_("The sustainable development principle and the five ways "
                                                              "of working: long term, prevention, integration, "
                                                              "collaboration and involvement.")),
        (N_("Regulation and Inspection of Social Care (Wales) Act 2016"), N_("Service regulation and inspection by Care "
                                                                      "Inspectorate Wales (CIW).")),
        (N_("Welsh Language Standards and 'More than just words'"), N_("The Active Offer: services in Welsh without people "
                                                               "having to ask for them.")),
        (N_("The Commissioning Framework Guidance and Good Practice (2010)"), N_("Statutory guidance with 12 standards for "
                                                                          "commissioning social care in Wales.")),
    ],
}

CLIENT_GROUP_DRIVERS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "england": {
        "older-people": [(N_("Dementia care and support"), N_("National ambitions for timely diagnosis and post-diagnostic support."))],
        "learning-disability": [(N_("Building the Right Support"), N_("Reducing reliance on inpatient care for autistic people "
                                                               "and people with a learning disability."))],
        "mental-health": [(N_("Mental Health Act 1983 (section 117 aftercare)"), N_("Joint duties to provide aftercare, "
                                                                             "and the NHS Long Term Plan commitments."))],
        "carers": [(N_("Care Act 2014 carers' assessments"), N_("A duty to assess and meet carers' eligible needs."))],
        "physical-disability-sensory-impairment": [(N_("Equality Act 2010"), N_("Reasonable adjustments and accessible "
                                                                          "information for disabled people."))],
    },
    "wales": {
        "older-people": [(N_("Dementia Action Plan for Wales"), N_("Commitments on diagnosis, support and dementia-friendly "
                                                            "communities."))],
        "learning-disability": [(N_("Learning Disability Strategic Action Plan"), N_("Welsh Government's programme for people "
                                                                               "with a learning disability."))],
        "mental-health": [(N_("Mental Health (Wales) Measure 2010"), N_("Primary care mental health support, care and "
                                                                 "treatment planning and advocacy."))],
        "carers": [(N_("Strategy for Unpaid Carers (Wales)"), N_("Welsh Government priorities for identifying and "
                                                          "supporting unpaid carers."))],
        "physical-disability-sensory-impairment": [(N_("Action on Disability: the right to independent living"), N_("Welsh Government's framework for disabled people."))],
    },
}


# The year each default was made: the Act's year, or the year a framework or plan was first published.
DRIVER_YEARS: dict[str, int] = {
    'Care Act 2014': 2014,
    'Health and Care Act 2022': 2022,
    'Adult Social Care Outcomes Framework (ASCOF)': 2011,
    'Joint Strategic Needs Assessment': 2007,
    'Market sustainability and fair cost of care': 2021,
    'Social Services and Well-being (Wales) Act 2014': 2014,
    'Well-being of Future Generations (Wales) Act 2015': 2015,
    'Regulation and Inspection of Social Care (Wales) Act 2016': 2016, "Welsh Language Standards and 'More than just words'": 2016,
    'The Commissioning Framework Guidance and Good Practice (2010)': 2010,
    'Dementia care and support': 2009,
    'Building the Right Support': 2015,
    'Mental Health Act 1983 (section 117 aftercare)': 2019, "Care Act 2014 carers' assessments": 2014,
    'Equality Act 2010': 2010,
    'Dementia Action Plan for Wales': 2018,
    'Learning Disability Strategic Action Plan': 2022,
    'Mental Health (Wales) Measure 2010': 2010,
    'Strategy for Unpaid Carers (Wales)': 2021,
    'Action on Disability: the right to independent living': 2019,
}


def national_drivers(nation: str, client_group: str) -> list[tuple[str, str]]:
    return list(NATIONAL_DRIVERS.get(nation, [])) + list(CLIENT_GROUP_DRIVERS.get(nation, {}).get(client_group, []))


def default_drivers(nation: str, client_group: str, t=None) -> list:
    """The national defaults as dated params drivers, in the words of translator `t` (English by default)."""
    t = t or translator()
    return [PolicyDriver(name=t(name), summary=t(why), level="national", year=DRIVER_YEARS.get(name))
            for name, why in national_drivers(nation, client_group)]


def published_by(control, edition) -> dt.date:
    """The date a plan was written by: its publication date, else its latest version date, else the
    start of its period (1 April of the first financial year)."""
    if control.publication_date is not None:
        return control.publication_date
    if control.version_history:
        return max(v.date for v in control.version_history)
    return dt.date(edition.start_year, 4, 1)
