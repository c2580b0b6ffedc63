r"""An attention-economy app with known truth: ``simulate_app`` (introduced in notebook 01).

Every later notebook checks its estimators against this simulator, so the whole model is
written out here. Time ``t`` is measured in **days** since ``start`` (a UTC midnight); a user's
**tenure** is ``a = t - s`` where ``s`` is their sign-up time. Rates are in **visits per day**
and hazards **per day** (rate parameterisation: an exponential with rate λ has mean 1/λ).
All clock times are UTC and the app is treated as living in one time zone.

Sign-ups
    Sign-up days are drawn with probability proportional to ``1 + g d / D_a`` for days
    ``d < D_a = acquisition_fraction * days`` (growth ``g = signup_growth``) and to
    ``late_signup_level * (1 + g)`` after, so there are many cohorts and most users are
    watched for more than 30 days. The hour of sign-up follows ``hourly_profile`` (busy
    evenings and some late-night sign-ups), uniform within the hour. User ids are 1..n in
    sign-up order. Channel, device and region are drawn independently from their mixes.

Latent traits (columns ``true_*`` of ``Simulation.users``; never model features)
    interest ``z_I ~ N(0, 1)`` and attention budget ``z_A ~ N(0, 1)`` (standardised scores),
    notification sensitivity ``ν ~ Beta(2, 3)`` (mean 0.4) in [0, 1], push opt-in ``π`` (Bernoulli with
    probability ``push_opt_in[device]``; web users get no pushes), engagement frailty
    ``G ~ Gamma(shape k_G, scale 1/k_G)`` with mean 1 (``rate_gamma_shape``). ``ν`` follows
    ``Beta(*sensitivity_beta)``; all traits are independent of each other and of the
    observable attributes (so a model on observables alone cannot recover them).

Visits: a user-specific non-homogeneous Poisson process (visits/day), while alive
    ``λ_i(t) = b_i · B(a) · W(t)`` with

    - base rate ``b_i = base_rate · exp(α_I z_I + α_A z_A + δ_channel) · G_i`` (``α`` =
      ``rate_interest``, ``rate_attention``; ``δ`` = ``rate_channel``, referred users visit
      more); ``Simulation.truth.base_visit_rate`` is this rate at sign-up, averaged over the
      week and the day, pushes excluded;
      the gamma frailty makes pooled visit counts over-dispersed (a gamma–Poisson mixture:
      variance > mean) and, with the log-normal part, gives heavy-tailed engagement;
    - boredom ``B(a) = f + (1 - f) exp(-a / τ_B)`` (``boredom_floor`` f, timescale τ_B days):
      novelty at sign-up wears off;
    - calendar ``W(t) = weekday_factor[day] · hourly_profile[hour] · q[day]``, piecewise
      constant per hour, each factor with mean 1; ``q`` is the daily content quality, a log-AR(1)
      series shared by all users (``quality_ar``, ``quality_sd``), ``E[q] = 1``.

    Pushes are sent at ``push_hours`` on ``push_weekdays`` to every user who signed up before.
    A user opens each push with probability ``p = push_open_max · ν · π · B(a)`` (notification
    fatigue follows boredom), after an exponential delay with mean ``push_delay_minutes``.
    Each user also has a visit exactly at sign-up.

Sessions and events
    Every visit emits ``session_start``; a push-triggered visit emits ``notification_open``
    **and** ``session_start`` at the same timestamp (``notification_open`` first). Then
    ``K ~ NegBin(shape r, mean μ_K)`` engagement events (``events_dispersion``,
    ``events_per_session``; K = 0 is a bounce) with types drawn from ``event_mix`` are spread
    uniformly over a session of length ``L``, the last one at exactly ``L``; ``log L ~
    N(log session_median_minutes + session_attention · z_A, session_sigma²)`` with L in
    minutes (log-normal: heavy-tailed). Sessions may overlap a later visit. Activity = any
    event. Events are dropped at or after churn and at or after ``end``; timestamps are whole
    microseconds.

Churn: proportional hazards in continuous time, Weibull baseline with shape < 1
    ``h_i(a) = m_i · (k / λ) (a / λ)^(k - 1)``, cumulative ``H_i(a) = m_i (a / λ)^k``,
    survival ``S_i(a) = exp(-H_i(a))`` (``weibull_shape`` k, ``weibull_scale_days`` λ; k < 1
    means a decreasing hazard: infant mortality). The hazard multiplier is

    ``log m_i = β_I z_I + β_A z_A + β_ν ν + γ_channel + γ_device``

    with ``β`` = ``hazard_interest``, ``hazard_attention``, ``hazard_sensitivity`` and the
    ``hazard_channel`` / ``hazard_device`` levels. ``Simulation.true_log_hazard_coefficients``
    lists them against the columns of ``Simulation.hazard_covariates()`` (dummies against
    organic and ios), so a Cox model on those columns with ``truth.lifetime_days`` and
    ``truth.churned`` should recover them (notebook 03). Churn time ``T = s + λ (E / m)^(1/k)``,
    ``E ~ Exp(1)``, the exact inverse of ``H``.

Presets (``Simulation.params``; any of them can be overridden by keyword)
    The main parameters (all are listed, with comments, in ``retainkit.simulate._presets``):

    ====================================  ==========  ==========  ==========
    parameter                             social      game        shop
    ====================================  ==========  ==========  ==========
    base_rate (visits/day)                1.6         0.9         0.5
    rate_interest, rate_attention         0.6, 0.4    0.6, 0.4    0.4, 0.2
    rate_gamma_shape (frailty)            0.8         1.0         2.0
    boredom_floor, timescale (days)       0.55, 14    0.3, 7      0.22, 5
    push schedule (UTC)                   daily 19h   daily 17h   Thu+Sun 10h
    push_open_max                         0.35        0.25        0.25
    session median (min), events/session  6, 4        10, 3       4, 3
    weibull_shape k, scale λ (days)       0.38, 5     0.4, 4      0.4, 150
    hazard_interest, _attention, _sens.   -0.7, -0.3, -0.6, -0.3, -0.6, -0.2,
                                          -0.6        -0.5        -0.4
    ====================================  ==========  ==========  ==========

    Shared by all presets: channel mix organic 40 % / paid_social 30 % / referral 12 % /
    search_ads 18 %; ``hazard_channel`` 0 / +0.45 / −0.5 / +0.15 and ``rate_channel``
    0 / −0.25 / +0.25 / −0.05; devices ios 45 % / android 45 % / web 10 % with
    ``hazard_device`` 0 / +0.1 / +0.3 and push opt-in 55 % / 80 % / 0 %; region has **no**
    effect on anything (a placebo covariate). So ``social`` has many short daily visits and
    slow boredom; ``game`` (casual) fewer, longer sessions, quick boredom and strong infant
    mortality; ``shop`` rare visits and slow churn (shoppers keep the app but seldom open it).

    Realism targets (design.md §4; bands taken from public app-analytics benchmark reports of
    2025–26, wide enough to cover the medians of several sources) for classic N-day retention
    D1/D7/D30 (share of the sign-up cohorts with an event on exactly **calendar UTC day** k
    after the sign-up day, among users whose day k lies in the window) and DAU/MAU (over the
    last 30 days of the window: mean daily active users / users active at least once in those
    30 days). Measured with ``n_users=5000, days=120, seed=0``:

    ======  ======================  ======================  =============  ==============
    preset  D1 band / measured      D7 band / measured      D30 band / m.  DAU/MAU band/m.
    ======  ======================  ======================  =============  ==============
    social  30–48 % / 38.5 %        15–28 % / 23.7 %        8–18 % / 13.0  0.30–0.55/0.38
    game    25–42 % / 31.7 %        10–18 % / 15.3 %        3–10 % / 6.7   0.12–0.30/0.23
    shop    20–40 % / 29.2 %        8–22 % / 14.6 %         4–12 % / 7.0   0.05–0.18/0.13
    ======  ======================  ======================  =============  ==============

    ``tests/test_simulate.py`` asserts every preset lands inside its bands (and that the
    curves fall fast then flatten, social > game > shop on DAU/MAU, visit counts are
    over-dispersed, and referral > organic > paid_social on D7).

Oracle
    ``Simulation.oracle_churn_probability`` gives, per user, P(no event in (c, c + h] | true
    latent state, the calendar, and whether the user is alive at c). It is exactly 1 when the
    user churned at or before c. Otherwise, with ``S_c(u) = P(T > u | T > c)`` (Weibull) and
    ``Q(u) = P(no event in (c, u] | alive through u)``, the method computes
    ``P = S_c(c+h) Q(c+h) + ∫ Q(u) dF_c(u)`` over ``(c, c+h]``, ``F_c = 1 - S_c``. ``Q`` is the
    product of ``exp(-∫ λ)`` (integrated in closed form piece by piece), the exact no-open
    probabilities of the pushes (delay included), the exact probability that the sign-up
    session (if still running) has no further event (Gauss–Legendre over its length), and the
    probability that no organic or push session in progress at c has an event after c. The
    integral over the churn time takes the logarithmic mean of ``Q`` on pieces of a quarter
    hour (1 minute and finer right after c): against a grid 4 times finer it moves by less than
    1e-4 per user (2e-6 on average) in the presets. One approximation remains: for sessions
    other than the sign-up one that are in progress at c (minutes long), the visit rate is taken
    as constant over that session and a churn cutting it short is ignored; its effect is below
    1e-3 per user. Only the events of such a session that fall inside the horizon count, so
    the oracle holds for horizons as short as a session (re-simulated from sign-up, the mean
    error at h = 10 minutes is 0.000 ± 0.001; counting every later event of the session, as
    before, biased it by −0.008). The tests check the oracle against simulated labels and
    against the futures of the same users re-simulated hundreds of times
    (``tests/test_oracle_horizon.py`` for short horizons).

Alive at a cutoff
    ``Simulation.alive_at(c)`` is True for users with ``signup_time <= c < churn_time`` (from
    ``truth``): the users a decision at ``c`` can reach (notebook 06).

Treatments and experiments (notebook 08): both potential outcomes known
    ``Simulation.run_experiment(treatment, start=...)`` randomises the **eligible** users (an
    observable rule; default for the audience ``"active"``: signed up before ``start`` with an
    event in the 28 days before it, so some have already churned; for ``"new_signups"``:
    everyone signing up in ``[start, start + enrol_days)``) with one coin each, P(treatment) =
    ``share``. User i's **entry** ``e`` is ``start`` (or their sign-up) and ``x = (1, z_I, z_A,
    ν)``. Treated at ``e`` and alive (``T^C > e``), they take it up with probability ``p_i =
    expit(u · x)`` (1 if ``uptake`` is None; 0 without push opt-in when ``push_only``). During
    ``[e, e + D)`` (``duration_days``):

    - a taker's hazard is ``h_i(a) · exp(θ · x)`` (``hazard_log_ratio``), their organic visit
      rate ``v λ_i(t)`` (``visit_rate_ratio`` v >= 1) and they get extra pushes at
      ``extra_push_hours`` each day, opened with the usual ``p = push_open_max · ν · π · B(a)``;
    - a non-taker's hazard is ``h_i(a) · exp(ψ · x)`` (``refusal_hazard_log_ratio``);
    - after ``e + D`` everything is as before (the cumulative hazard keeps what was accrued).

    **Common random numbers.** The control world is exactly the plain simulation. The treated
    churn time keeps the same ``E_i = H_i(T^C)`` and solves ``H^T_i(T^T) = E_i``, where with
    ``g(t) = ((t - s)/λ)^k`` and ``r = exp(θ · x)`` (or ``exp(ψ · x)``) ``H^T/m = g(t)`` before
    ``e``, ``g(e) + r (g(t) - g(e))`` on ``[e, e + D)`` and ``g(e) + r (g(e+D) - g(e)) + g(t) -
    g(e+D)`` after (closed-form inverse); ``T^T = T^C`` for users churned at ``e`` and for
    untouched users. The treated world's events are the control world's before ``T^T`` (with
    the parts of sessions that the control churn cut short, which ``simulate_app`` keeps),
    plus independent extra organic visits at rate ``(v - 1) λ_i(t)`` on ``[e, e + D)``, the
    extra push opens, and, if ``T^T > T^C``, fresh visits and push opens on ``[T^C, T^T)``: a
    superposition of independent Poisson pieces, so exactly the treated process. The uptake
    draw ``U_i`` is common too (``potential.takes_up``). The history before ``e`` is the
    same in both arms; ``Experiment.events`` holds each user's assigned arm.

    **Primary outcome** ``Y = 1{any event in (e + w0, e + w1]}`` (``window_days``, ``w0 >= 1``).
    ``true_effect = P(Y | treatment) - P(Y | control)`` given the latent state, the calendar
    and alive at ``e``, averaged over churn, visits and uptake (``p_i P_taker + (1 - p_i)
    P_non-taker - P_control``); **exactly 0** for users churned at ``e`` (lost causes: churn
    is permanent). ``P(Y = 0) = 1 - S_e(A) + ∫ Q dF_e + S_e(B) Q(B)`` over ``(A, B]``, with
    ``Q`` as in the oracle below (visit rate integrated exactly on hourly pieces, exact push
    terms, sessions in progress at ``A``): it agrees with the oracle within 1e-4 per user, and
    its hourly grid with a 16 times finer one within 1e-4 (measured; the tests allow 2e-4). ``true_rmst_uplift(τ)`` gives
    ``E[min(T - e, τ)]`` per arm (quadrature, 1e-9 relative). ``expected_cost = cost_per_contact
    + p_i · cost_per_redemption``.

    **Uplift groups** (``Experiment.uplift_groups``): persuadables (large positive effect),
    sure things (small effect, would be active anyway), lost causes (churned at entry, or
    small effect and unlikely to be active) and sleeping dogs (contact raises the hazard):
    all four exist by construction in every treatment.

    ==========================  ===========================  ============  ================
    parameter                   retention_offer              push_cadence  onboarding
    ==========================  ===========================  ============  ================
    audience, enrolment         active                       active        new sign-ups,
                                                                           14 days
    duration D (days)           21                           28            7
    window (w0, w1] (days)      (21, 28]                     (28, 35]      (7, 14]
    uptake logit u · x          -0.5 + 0.8 z_I (mean ~0.4)   all opted-in  everyone
    hazard_log_ratio θ · x      log 0.35 (hazard × 0.35)     -0.6 + 1.6 ν  -0.2 + 0.2 z_I
    refusal_hazard_log_ratio    0.3 - 0.6 z_A                none          none
    visit_rate_ratio v          1.25                         1             1.2
    extra pushes (UTC)          none                         08h, 13h      none
    cost per contact, take-up   0.05, 2.0                    0, 0          0, 0
    ==========================  ===========================  ============  ================

    So in ``retention_offer`` interested users redeem the voucher (persuadables when at risk,
    sure things when not), while users short of attention who ignore it are hurt by one more
    demand on it (sleeping dogs); in ``push_cadence`` extra pushes bring visits now, remind
    users who seldom open notifications (``ν < 0.375``: lower hazard) and tire those who open
    many (higher hazard): the attention-economy trade-off; ``onboarding`` helps new users of
    low interest and bores very interested ones (``z_I > 1``).

Content catalogue (notebook 09; opt-in: ``simulate_app(..., catalogue=True)``)
    Without a catalogue (the default) nothing above changes: same draws, same events, same
    truth. With one, every draw above is the same too (the catalogue has its own random
    streams), so **visits and churn under the default feed are exactly those of the plain
    simulation** and every preset stays in its realism bands (tested); what changes is what
    happens inside sessions. ``Catalogue`` holds the parameters (defaults in brackets).

    - **Items** ``j = 1..n`` [300]: topic mixture ``y_j ~ Dirichlet(α_y)`` over ``n_topics``
      [8] topics (α_y = ``topic_concentration`` [0.3]: mostly one topic; ``items.topic`` is
      the largest), quality ``q_j ~ N(0, 1)``, clickbait appeal ``c_j = r q_j + sqrt(1 - r²)
      ε_j`` (r = ``clickbait_quality_corr`` [-0.3]: appeal is not quality), popularity
      ``π_j ∝ exp(σ_π (ρ c_j + sqrt(1 - ρ²) ε'_j))`` (σ_π = ``popularity_sd`` [1.2], ρ =
      ``popularity_clickbait_corr`` [0.4]): log-normal, skewed.
    - **Users**: topic interests ``x_it = κ z_I + sqrt(1 - κ²) ε_it`` (κ =
      ``interest_loading`` [0.5]: their correlation with the interest trait); the true
      affinity is ``a_ij = x_i · y_j`` (``Simulation.affinity()``).
    - **Feeds**: each session shows ``k = feed_size`` [10] distinct items, item j with
      probability ``p_ij = min(1, c_i exp(s_ij / T))`` (c_i such that ``Σ_j p_ij = k``;
      systematic sampling gives exactly these inclusion probabilities). The default policy is
      popularity with noise: ``s_ij = log π_j``, ``T = popularity_noise`` [1].
      ``RecommendationPolicy`` gives other scores (truth-based ones in ``POLICIES``, or a
      trained model's: a users x items matrix or a function of user ids); ``T = 0`` is the
      top-k.
    - **Events** (column ``item_id``, Int64, NA for other events): every item of the feed
      gets an ``impression`` at the session start; an impression is viewed with probability
      ``v_ij = expit(η_v + β_a a_ij + β_c c_j + β_q q_j)`` [-1.8, 0.8, 1.0, 0.2]
      (``view_*``), a view liked with ``expit(η_l + λ_a a_ij + λ_q q_j)`` [-1.2, 0.5, 0.8]
      (``like_*``), a like shared with ``expit(η_s + σ_q q_j)`` [-1.8, 0.6] (``share_*``).
      The views of a session (each with its ``like`` and ``share``) are spread uniformly over
      its length, the last one at its end. The preset's own ``view``, ``like`` and ``share``
      events give way to these; its others (``post``, ``purchase``, ...) stay.
    - **Feedback** (what makes the engagement trap): per impression, a feed ``p`` has the
      expected **pull** ``K_i = (1/k) Σ_j p_ij v_ij c_j`` (clickbait clicked: the short run)
      and **satisfaction** ``S_i = (1/k) Σ_j p_ij v_ij (a_ij + q_j)`` (matched quality
      engaged with: the long run). While a user is shown policy π instead of the default
      (``K⁰``, ``S⁰``), their organic visit rate is multiplied by ``exp(γ_K (K^π - K⁰) + γ_S
      (S^π - S⁰))`` and their hazard by ``exp(δ_K (K^π - K⁰) - δ_S (S^π - S⁰))`` (γ_K, γ_S,
      δ_K, δ_S = ``visit_pull``, ``visit_satisfaction``, ``hazard_pull``,
      ``hazard_satisfaction`` [0.3, 0.1, 0.25, 0.35]). A click-maximising feed thus brings
      more visits and more views per impression now, and a higher hazard: fewer users later.
      The feedback acts through the *expected* engagement of the user's feed (over the feed
      and engagement draws of a session), not the realised one, so a policy is a treatment
      with a per-user hazard ratio and visit-rate ratio (``Simulation.policy_effects``) and
      its truth is exact.
    - **A policy is a treatment**: ``run_experiment(policy, ...)`` treats users as a
      ``Treatment`` with uptake 1, ``exp(θ · x)`` replaced by that hazard ratio and ``v`` by
      that visit-rate ratio (which may be below 1) during ``[e, e + duration_days)``, with the
      policy's feeds; control is the default feed, i.e. the plain simulation. Churn times
      share the draw ``E_i`` (common random numbers, as above), and ``true_effect`` and the
      RMST truth follow the formulas above. On a catalogue simulation the treated world's
      events from entry on (any treatment) are a fresh draw of the treated process (its churn
      time, visit rates, pushes, sessions and feeds), not the control world's events patched;
      the part after ``e`` of a session in progress at ``e`` is not kept. ``potential`` then
      also has ``ctr_control``, ``ctr_treatment`` (expected views per impression),
      ``visit_rate_ratio`` and ``hazard_ratio``. With a catalogue, the terms of the oracle
      and of ``true_effect`` for sessions in progress at the cutoff assume the generic session
      events (an approximation of the order of the one stated for the oracle).

================  ===================  ========  ============================================
name              file                 notebook  what it is
================  ===================  ========  ============================================
simulate_app      ``_app.py``          01        simulate one app's users and events
Simulation        ``_app.py``          01        the result: ``.events``, ``.users``,
                                                 ``.truth``, the oracle churn probability,
                                                 ``.alive_at``, ``.run_experiment``
PRESETS           ``_presets.py``      01        the parameters of ``social``, ``game``,
                                                 ``shop``
Treatment         ``_treatments.py``   08        an intervention and its trait-dependent
                                                 effects
TREATMENTS        ``_treatments.py``   08        ``retention_offer``, ``push_cadence``,
                                                 ``onboarding``
Experiment        ``_experiment.py``   08        a randomised experiment with both potential
                                                 outcomes and the truth helpers
Catalogue         ``_catalogue.py``    09        the content catalogue's parameters
Recommendation-   ``_policies.py``     09        a feed policy (scores, temperature), usable
Policy                                           as a treatment in ``run_experiment``
POLICIES          ``_policies.py``     09        truth-based policies: popularity (default),
                                                 random, clickbait, quality, affinity,
                                                 clicks, long_term
================  ===================  ========  ============================================

Private files: ``_process.py`` (calendar, population, churn times, events), ``_oracle.py``
(the exact churn probability given everything observable at a cutoff), ``_outcome.py`` (the
expected outcome and RMST of a user under an arm), ``_future.py`` (the treated world's extra
events), ``_catalogue.py`` (items, interests, feeds, feed events), ``_policies.py`` (policy
scores, inclusion probabilities, the feedback).
"""

from retainkit.simulate._app import Simulation, simulate_app
from retainkit.simulate._catalogue import Catalogue
from retainkit.simulate._experiment import Experiment
from retainkit.simulate._policies import POLICIES, RecommendationPolicy
from retainkit.simulate._presets import PRESETS
from retainkit.simulate._treatments import TREATMENTS, Treatment

__all__ = ["Simulation", "simulate_app", "PRESETS", "Treatment", "TREATMENTS", "Experiment",
           "Catalogue", "RecommendationPolicy", "POLICIES"]
