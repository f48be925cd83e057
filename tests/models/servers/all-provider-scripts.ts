import { anthropicScript, geminiScript, openAiChatScript, testApiKeyEnv, type ProviderScript } from './provider-scripts.js';

/** Every remote HTTP adapter the conformance suite covers. */
export const providerScripts: readonly ProviderScript[] = [openAiChatScript, anthropicScript, geminiScript];

export { testApiKeyEnv };
