/** The session wallet for games: key storage, wallet connectors, `SessionWallet`. */
export * from "./connectors";
export * from "./sessionWallet";
export * from "./storage";
export * from "./store";
