package dev.arbiter.budget;

import java.util.Map;

/**
 * Where settled spend is kept beyond the gateway's life: nowhere ({@link #NONE}) or PostgreSQL
 * ({@link PostgresSpendStore}). Keys are a scope ({@code key:vk_...}, {@code team:research}) and a period
 * ({@code d2026-12-06}, {@code m2026-12}).
 */
interface SpendStore {
    SpendStore NONE = new SpendStore() {
        @Override
        public Map<String, Double> load(String period) {
            return Map.of();
        }

        @Override
        public void add(String scope, String period, double usd) {
        }
    };

    /** Every scope's spend in one period. */
    Map<String, Double> load(String period);

    /** Adds to a scope's spend in a period. */
    void add(String scope, String period, double usd);
}
