"""Plain-language definitions of every metric on the report (domain.md section 5)."""

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Wave", "One recall campaign: a group of churned or at-risk customers contacted together, "
             "with a randomly chosen holdout (control) group that is not contacted."),
    ("Treatment / control", "Treatment customers are contacted; control (holdout) customers are "
                            "picked at random and left alone, so any difference is the "
                            "campaign's effect."),
    ("Sent, delivered, opened, clicked, redeemed, converted",
     "The wave's progress funnel: contacts sent, delivered, opened, clicked, offers redeemed, "
     "and treated customers who placed an order within the first month."),
    ("Recall rate", "Recalled customers / targeted churned customers: of the customers who "
                    "had churned when targeted, the share who ordered again in the first month."),
    ("Activation rate", "Share of targeted customers who came back (a visit or login) after the "
                        "contact."),
    ("Conversion rate", "Share of targeted customers who placed an order after the contact."),
    ("Uplift over control", "Treatment rate minus control rate: what the contact added. Shown "
                            "with a 95% interval (the range the true effect lies in, given "
                            "the sample)."),
    ("Win / loss / inconclusive", "A result is a win only when its whole interval is above "
                                  "zero and a loss when it is wholly below; an interval that "
                                  "crosses zero is inconclusive: the wave cannot tell."),
    ("Customers won back beyond control", "Treated customers who ordered in the first month "
                                          "beyond what the control group's rate predicts."),
    ("Incremental GMV", "GMV (gross merchandise value: order value) of the treated customers "
                        "beyond the control group's GMV per customer."),
    ("ROI", "Return on the recall cost: (incremental GMV x gross margin - cost) / cost. "
            "0 means the campaign paid back its cost."),
    ("First month", "The days after a contact in which repurchase, activation, conversion and "
                    "order value change are measured."),
    ("Six months after", "GMV month by month after the first month, compared with the "
                         "customer's GMV per month before churning (100% = as much as before), "
                         "with tier upgrades, referred new customers and churning again."),
    ("Winner", "The variant with the largest conversion uplift among those that beat control "
               "after correcting for testing several variants (Holm)."),
    ("Powered", "Whether the wave was large enough to detect the target effect "
                "(min_detectable_uplift) at the planned power; an under-powered wave can miss "
                "a real effect."),
    ("Customer feedback", "Complaints per 100 customers and average satisfaction score (1-5) "
                          "of support tickets before and after the contact, by arm."),
    ("Churn rate", "Customers active at a month's start who churned by its end / customers "
                   "active at its start."),
    ("Churn type", "Why a customer leaves: price-sensitive, service-dissatisfied, "
                   "competitor-attracted or silent (no clear cause)."),
    ("Layer", "The recall pyramid: core (high value), advanced (used to buy often), base "
              "(everyone else); the operating layers of churn rates are new, core and "
              "potential."),
    ("Cohort retention", "Of the customers who signed up in a month, the share still active "
                         "k months later."),
    ("Churn probability", "The model's chance that an active customer stops interacting within "
                          "the churn window."),
    ("Lifecycle stage", "active, hesitating (visits without ordering), warning (a few days "
                        "without a visit), churned, recovered."),
    ("Early warning", "Customers whose churn probability reached the warning threshold since "
                      "the last scoring run."),
    ("Expected profit", "For the next wave: expected uplift x the customer's value - contact "
                        "cost, summed over the selected customers."),
    ("Budget used", "Contact cost of the next wave's treated customers against the wave's "
                    "budget."),
)
