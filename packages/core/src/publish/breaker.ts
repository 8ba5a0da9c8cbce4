/** The per-account breaker lives with the account (the metrics refresh honours it too). */
export { openBreaker } from "../account/breaker";
