import type { SlashCommand } from '../src/discord/context';
import { digest } from './digest';
import { draft } from './draft';
import { gesture } from './gesture';
import { label } from './label';
import { missed } from './missed';
import { opportunities } from './opportunities';
import { stats } from './stats';
import { watch } from './watch';

/** Every slash command Kairos registers (npm run deploy-commands) and answers. */
export const commands: readonly SlashCommand[] = [draft, opportunities, digest, watch, gesture, stats, label, missed];
