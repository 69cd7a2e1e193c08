#!/usr/bin/env python3
"""Synthetic labelled payments for the model benchmark (bench/model.sh).

Writes ROWS (default 250,000) events of ~20,000 customers over 60 days from 2026-01-01T00:00:00Z
as a CSV file in Amazon Fraud Detector's batch import layout (EVENT_ID, EVENT_TIMESTAMP,
ENTITY_ID, ENTITY_TYPE, EVENT_LABEL, LABEL_TIMESTAMP, then one column per variable; an empty
cell is a missing value), and next to it, OUT with `.csv` replaced by `.p_true.csv`, the true
fraud probability of every event (EVENT_ID, p_true): the label is Bernoulli(p_true), so the AUC
of p_true on a split is the best any model can reach there (the Bayes AUC).

Variables (name, data type, AFD variable type):
  amount FLOAT PRICE, email_address STRING EMAIL_ADDRESS, ip_address STRING IP_ADDRESS,
  phone_number STRING PHONE_NUMBER, billing_country STRING BILLING_COUNTRY,
  product_category STRING PRODUCT_CATEGORY, card_bin STRING CARD_BIN, is_new_device BOOLEAN
  (CATEGORICAL), noise_num FLOAT NUMERIC, noise_cat STRING CATEGORICAL (pure noise, both).

p_true = sigmoid(b + f) where b is solved (bisection) so that the mean of p_true is FRAUD_RATE
(default 0.02) and f, a function of the event's variables and of its customer's earlier events
only (strictly earlier timestamps; a customer's timestamps are distinct), is the sum of
  amount           0.35 * min(((ln amount - 4) / 1)^2, 3)   (U-shaped: card tests and big ones)
                   + 0.8 if amount > 1000
  email domain     + 1.6 for mailinator.com, guerrillamail.com, yopmail.com, tempmail.dev
  billing_country  + 0.9 for NG, RU, VN, PK
  ip_address       + 1.4 for the prefixes 185.220., 45.134., 103.75., 194.26., 91.219.;
                   + 0.5 when missing
  product_category gift_cards +1.1, digital_goods +0.6, jewelry +0.5, electronics +0.4,
                   books -0.3, groceries -0.6; + 0.7 more for gift_cards over 200
  card_bin         + 1.0 for 25 risky BINs (of a pool of 1,500)
  is_new_device    + 0.6 when true
  phone_number     + 0.9 when missing
  history          + 0.55 * min(n, 4), n = the customer's earlier events in the last hour
                   + 1.2 if the email's domain is new for the customer (not in any earlier event)
                   + 0.8 if the billing country is new for the customer
                   + 0.7 if amount > 4 x the mean of the customer's earlier amounts
                   + 0.4 for the customer's first event
noise_num and noise_cat (50,000 values) carry nothing. Pure Python (random.Random(SEED)):
the same arguments give the same files on any machine.
"""
import argparse
import bisect
import csv
import math
import os
import random
import sys
import time
from collections import deque
from datetime import datetime, timezone

START = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp())
DAYS = 60

COUNTRIES = {"US": 40, "GB": 12, "DE": 10, "FR": 8, "CA": 8, "ES": 5, "IT": 5, "BR": 4, "IN": 4,
             "MX": 3, "NG": 1.5, "RU": 1.5, "VN": 1, "PK": 1}
RISKY_COUNTRIES = {"NG", "RU", "VN", "PK"}
DOMAINS = {"gmail.com": 40, "yahoo.com": 15, "hotmail.com": 12, "outlook.com": 10, "icloud.com": 8,
           "aol.com": 3, "proton.me": 2, "gmx.de": 3, "orange.fr": 3,
           "mailinator.com": 1, "guerrillamail.com": 0.8, "yopmail.com": 0.7, "tempmail.dev": 0.5}
RISKY_DOMAINS = {"mailinator.com", "guerrillamail.com", "yopmail.com", "tempmail.dev"}
RISKY_PREFIXES = ["185.220.", "45.134.", "103.75.", "194.26.", "91.219."]
CATEGORIES = {"groceries": 20, "clothing": 18, "home": 12, "electronics": 12, "books": 8, "toys": 8,
              "digital_goods": 7, "travel": 7, "gift_cards": 5, "jewelry": 3}
CATEGORY_SCALE = {"electronics": 2.0, "jewelry": 3.0, "groceries": 0.5, "travel": 4.0}
CATEGORY_LOGIT = {"gift_cards": 1.1, "digital_goods": 0.6, "jewelry": 0.5, "electronics": 0.4,
                  "books": -0.3, "groceries": -0.6}
N_BINS, N_RISKY_BINS, N_NOISE_CAT = 1500, 25, 50000

HEADER = ["EVENT_ID", "EVENT_TIMESTAMP", "ENTITY_ID", "ENTITY_TYPE", "EVENT_LABEL", "LABEL_TIMESTAMP",
          "amount", "email_address", "ip_address", "phone_number", "billing_country",
          "product_category", "card_bin", "is_new_device", "noise_num", "noise_cat"]


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Picker:
    """Weighted choice from a dict with one uniform draw."""

    def __init__(self, weights):
        self.keys = list(weights)
        self.cum, s = [], 0.0
        for k in self.keys:
            s += weights[k]
            self.cum.append(s)

    def __call__(self, rng):
        return self.keys[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def random_prefix(rng):
    while True:
        p = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}."
        if p not in RISKY_PREFIXES:
            return p


def generate(rows, customers, seed, fraud_rate):
    rng = random.Random(seed)
    country_of, domain_of = Picker(COUNTRIES), Picker(DOMAINS)
    safe_domain_of = Picker({d: w for d, w in DOMAINS.items() if d not in RISKY_DOMAINS})
    category_of = Picker(CATEGORIES)
    bins = rng.sample(range(400000, 560000), N_BINS)
    bins = [str(b) for b in bins]
    risky_bins = set(bins[:N_RISKY_BINS])

    # customers: activity (log-normal: a few very active ones), home country, email, home /16,
    # phone (7 % have none), card
    cust = []
    for c in range(customers):
        domain = domain_of(rng) if rng.random() < 0.03 else safe_domain_of(rng)
        home = RISKY_PREFIXES[rng.randrange(len(RISKY_PREFIXES))] if rng.random() < 0.03 else random_prefix(rng)
        cust.append({
            "weight": rng.lognormvariate(0.0, 1.0),
            "country": country_of(rng),
            "email": f"u{c}x{rng.randrange(1000)}@{domain}",
            "ip": home,
            "phone": f"+1{rng.randrange(2000000000, 9999999999)}" if rng.random() < 0.93 else "",
            "bin": bins[rng.randrange(N_BINS)],
        })
    cum, s = [], 0.0
    for c in cust:
        s += c["weight"]
        cum.append(s)

    # sessions at uniform times: one event (88 %) or a burst of 2 to 6, 20 s to 10 min apart
    events = []  # (t, customer, burst position)
    while len(events) < rows:
        c = bisect.bisect_right(cum, rng.random() * s)
        t = START + rng.randrange(DAYS * 86400)
        size = 1 if rng.random() < 0.88 else rng.randint(2, 6)
        for k in range(size):
            if t >= START + DAYS * 86400:
                break
            events.append((t, c, k))
            t += rng.randint(20, 600)
    del events[rows:]
    events.sort()
    # a customer's timestamps are distinct, so "earlier" is unambiguous
    last = {}
    for i, (t, c, k) in enumerate(events):
        if c in last and t <= last[c]:
            t = last[c] + 1
            events[i] = (t, c, k)
        last[c] = t
    events.sort()

    out, logits = [], []
    hist = {}  # customer -> [recent times deque, domains, countries, n, sum of amounts]
    for i, (t, c, k) in enumerate(events):
        cu = cust[c]
        category = category_of(rng)
        amount = round(rng.lognormvariate(3.7, 1.1) * CATEGORY_SCALE.get(category, 1.0), 2)
        amount = max(amount, 0.5)
        if rng.random() < 0.92:
            email = cu["email"]
        else:
            email = f"u{c}y{rng.randrange(100000)}@{domain_of(rng) if rng.random() < 0.85 else 'mailinator.com'}"
        r = rng.random()
        if r < 0.02:
            ip = ""
        elif r < 0.85:
            ip = f"{cu['ip']}{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        else:
            pre = RISKY_PREFIXES[rng.randrange(len(RISKY_PREFIXES))] if rng.random() < 0.15 else random_prefix(rng)
            ip = f"{pre}{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        phone = cu["phone"] if rng.random() >= 0.03 else ""
        r = rng.random()
        country = "" if r < 0.01 else (cu["country"] if r < 0.95 else country_of(rng))
        card_bin = cu["bin"] if rng.random() < 0.9 else bins[rng.randrange(N_BINS)]
        new_device = rng.random() < (0.25 if k > 0 else 0.08)
        noise_num = round(rng.gauss(0.0, 1.0), 4)
        noise_cat = f"n{rng.randrange(N_NOISE_CAT)}"
        domain = email.split("@", 1)[1]

        f = 0.35 * min((math.log(amount) - 4.0) ** 2, 3.0) + (0.8 if amount > 1000 else 0.0)
        f += 1.6 if domain in RISKY_DOMAINS else 0.0
        f += 0.9 if country in RISKY_COUNTRIES else 0.0
        if ip == "":
            f += 0.5
        elif any(ip.startswith(p) for p in RISKY_PREFIXES):
            f += 1.4
        f += CATEGORY_LOGIT.get(category, 0.0)
        f += 0.7 if category == "gift_cards" and amount > 200 else 0.0
        f += 1.0 if card_bin in risky_bins else 0.0
        f += 0.6 if new_device else 0.0
        f += 0.9 if phone == "" else 0.0
        h = hist.get(c)
        if h is None:
            f += 0.4
            h = hist[c] = [deque(), set(), set(), 0, 0.0]
        else:
            recent = h[0]
            while recent and recent[0] < t - 3600:
                recent.popleft()
            f += 0.55 * min(len(recent), 4)
            f += 1.2 if domain not in h[1] else 0.0
            f += 0.8 if country and country not in h[2] else 0.0
            f += 0.7 if amount > 4.0 * h[4] / h[3] else 0.0
        h[0].append(t)
        h[1].add(domain)
        if country:
            h[2].add(country)
        h[3] += 1
        h[4] += amount
        logits.append(f)
        out.append([f"ev{i + 1:07d}", iso(t), f"c{c}", "customer", None, None,
                    f"{amount:.2f}", email, ip, phone, country, category, card_bin,
                    "true" if new_device else "false", f"{noise_num}", noise_cat])

    # intercept: mean p_true = fraud_rate
    lo, hi = -20.0, 5.0
    for _ in range(50):
        b = (lo + hi) / 2
        m = sum(1.0 / (1.0 + math.exp(-(b + f))) for f in logits) / len(logits)
        lo, hi = (b, hi) if m < fraud_rate else (lo, b)
    b = (lo + hi) / 2
    p_true = [1.0 / (1.0 + math.exp(-(b + f))) for f in logits]
    for row, p, (t, _, _) in zip(out, p_true, events):
        row[4] = "fraud" if rng.random() < p else "legit"
        row[5] = iso(t + rng.randint(3600, 7 * 86400))
    return out, p_true, b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=250000)
    ap.add_argument("--customers", type=int, default=None, help="default rows / 12.5 (20,000 for 250,000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--fraud-rate", type=float, default=0.02)
    ap.add_argument("--out", default="/tmp/fraud_bench_model/events.csv")
    a = ap.parse_args()
    customers = a.customers or max(50, round(a.rows / 12.5))
    t0 = time.time()
    rows, p_true, b = generate(a.rows, customers, a.seed, a.fraud_rate)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    truth = a.out[:-4] + ".p_true.csv" if a.out.endswith(".csv") else a.out + ".p_true.csv"
    with open(a.out, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)
    with open(truth, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["EVENT_ID", "p_true"])
        w.writerows((r[0], f"{p:.6g}") for r, p in zip(rows, p_true))
    fraud = sum(r[4] == "fraud" for r in rows)
    print(f"{len(rows)} events of {customers} customers, {rows[0][1]} .. {rows[-1][1]}, "
          f"{fraud} fraud ({100 * fraud / len(rows):.2f} %), intercept {b:.3f}, "
          f"{time.time() - t0:.1f} s: {a.out}, {truth}", file=sys.stderr)


if __name__ == "__main__":
    main()
