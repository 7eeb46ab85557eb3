-- Spend in US dollars per scope (key:<id>, team:<name>, user:<name>) and period (dYYYY-MM-DD, mYYYY-MM): budget/Spend.
CREATE TABLE arbiter_spend (
    scope      text             NOT NULL,
    period     text             NOT NULL,
    spent_usd  double precision NOT NULL,
    PRIMARY KEY (scope, period)
);
