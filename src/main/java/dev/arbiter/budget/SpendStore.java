package dev.arbiter.budget;

import java.util.Map;
import java.util.OptionalDouble;

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
        public OptionalDouble spent(String scope, String period) {
            return OptionalDouble.empty();
        }

        @Override
        public void add(String scope, String period, double usd) {
        }
    };

    /** Every scope's spend in one period. */
    Map<String, Double> load(String period);

    /** One scope's spend in one period, read now; empty when it cannot be read. */
    OptionalDouble spent(String scope, String period);

    /** Adds to a scope's spend in a period. */
    void add(String scope, String period, double usd);
}
