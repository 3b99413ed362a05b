/**
 * Reads a record's run.sh the way a shell would split it (comments, quotes, line continuations,
 * command separators), enough to tell what it runs. A record's run.sh is one launch:
 * `torchrun --standalone --nproc_per_node=8 train_gpt.py`, possibly with env assignments or
 * `exec` in front; anything else it runs happens outside the timed region.
 */

export interface ShellCommand {
  /** Words with quotes removed; parameter expansions are kept as written. */
  words: string[];
  /** The separator that ended the command: ';', '&&', '||', '|', '&' or newline. */
  end: string;
  line: number;
}

export interface RunShAnalysis {
  commands: ShellCommand[];
  /** Commands that launch train_gpt.py through torchrun. */
  launches: ShellCommand[];
  /** Why the script is not a plain launch; empty when it is. */
  problems: string[];
  /** NAME=value pairs the script sets for the launch (prefix assignments and exports). */
  env: { name: string; value: string; line: number }[];
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const CONTROL_WORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'function',
  '{',
  '}',
  '(',
  ')',
  '[[',
  'select',
  'coproc',
]);
/** Commands that do no work of their own, allowed next to the launch. */
const HARMLESS = new Set(['set', 'export', 'echo', 'printf', 'true', ':', 'ulimit', 'umask']);
const PREFIXES = new Set(['exec', 'time', 'nohup', 'command']);

export function splitShell(text: string): { commands: ShellCommand[]; problems: string[] } {
  const commands: ShellCommand[] = [];
  const problems: string[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let line = 1;
  let cmdLine = 1;
  let heredoc: string | null = null;
  let skipWord = false;
  const flushWord = () => {
    if (inWord && skipWord) skipWord = false;
    else if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (end: string) => {
    flushWord();
    if (words.length) commands.push({ words, end, line: cmdLine });
    words = [];
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (heredoc !== null) {
      const eol = text.indexOf('\n', i);
      const lineText = text.slice(i, eol < 0 ? text.length : eol);
      if (lineText.replace(/^\t+/, '') === heredoc) heredoc = null;
      i = eol < 0 ? text.length : eol + 1;
      line++;
      continue;
    }
    if (!inWord && words.length === 0) cmdLine = line;
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '\n') {
      endCommand('\n');
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t') {
      flushWord();
      i++;
      continue;
    }
    if (c === '>' || (c === '<' && text[i + 1] !== '<') || (c === '&' && text[i + 1] === '>')) {
      // a redirection: its operator, an fd number before it and its target are not words
      if (inWord && /^\d+$/.test(word)) {
        word = '';
        inWord = false;
      }
      flushWord();
      const m = /^(&>>?|\d*[<>]{1,2}[&|]?)(\d+|-)?/.exec(text.slice(i))!;
      i += m[0].length;
      if (!m[2]) skipWord = true;
      continue;
    }
    if (c === ';' || c === '&' || c === '|') {
      const two = text.slice(i, i + 2);
      const op = two === '&&' || two === '||' || two === ';;' ? two : c;
      endCommand(op);
      i += op.length;
      continue;
    }
    if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      flushWord();
      const m = /^<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(text.slice(i));
      if (m) {
        heredoc = m[2];
        problems.push(`line ${line}: a here-document feeds a command`);
        i += m[0].length;
        const eol = text.indexOf('\n', i);
        // the rest of this line still belongs to the command
        const rest = text.slice(i, eol < 0 ? text.length : eol);
        for (const w of rest.trim().split(/\s+/).filter(Boolean)) words.push(w);
        endCommand('\n');
        i = eol < 0 ? text.length : eol + 1;
        line++;
        continue;
      }
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const end = close < 0 ? text.length : close;
      word += text.slice(i + 1, end);
      line += (text.slice(i, end).match(/\n/g) || []).length;
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1])) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
          continue;
        }
        if (text[i] === '\n') line++;
        if (text[i] === '`' || (text[i] === '$' && text[i + 1] === '(')) problems.push(`line ${line}: a command substitution runs a command`);
        word += text[i];
        i++;
      }
      inWord = true;
      i++;
      continue;
    }
    if (c === '`' || (c === '$' && text[i + 1] === '(')) problems.push(`line ${line}: a command substitution runs a command`);
    if (c === '$' && text[i + 1] === '{') {
      // ${...} is one piece of a word, whatever it holds
      const close = text.indexOf('}', i);
      const end = close < 0 ? text.length : close + 1;
      word += text.slice(i, end);
      inWord = true;
      i = end;
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      word += text[i + 1];
      inWord = true;
      i += 2;
      continue;
    }
    if ((c === '(' || c === ')') && !inWord) {
      endCommand(c);
      problems.push(`line ${line}: a subshell or function body`);
      i++;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  endCommand('\n');
  return { commands, problems };
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The launched command with env assignments, `exec`, `env …` and similar prefixes removed. */
function strip(words: string[], env: RunShAnalysis['env'], line: number): string[] {
  let i = 0;
  for (;;) {
    const w = words[i];
    if (w === undefined) return [];
    if (ASSIGNMENT.test(w)) {
      env.push({ name: w.slice(0, w.indexOf('=')), value: w.slice(w.indexOf('=') + 1), line });
      i++;
    } else if (PREFIXES.has(w)) {
      i++;
    } else if (w === 'env' || w.endsWith('/env')) {
      i++;
      while (words[i] !== undefined && (words[i].startsWith('-') || ASSIGNMENT.test(words[i]))) {
        if (ASSIGNMENT.test(words[i])) env.push({ name: words[i].slice(0, words[i].indexOf('=')), value: words[i].slice(words[i].indexOf('=') + 1), line });
        i += ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'].includes(words[i]) ? 2 : 1;
      }
    } else {
      return words.slice(i);
    }
  }
}

/** The script a torchrun launch runs, or null when the command is not a torchrun launch. */
function torchrunScript(cmd: string[]): string | null {
  const prog = basename(cmd[0]);
  let args: string[];
  if (prog === 'torchrun') {
    args = cmd.slice(1);
  } else if (/^python(\d+(\.\d+)*)?$/.test(prog)) {
    let i = 1;
    // interpreter flags before -m (those taking a value skip it)
    while (i < cmd.length && cmd[i].startsWith('-') && cmd[i] !== '-m' && !cmd[i].startsWith('-m')) i += ['-W', '-X', '-c'].includes(cmd[i]) ? 2 : 1;
    const mod = cmd[i] === '-m' ? cmd[i + 1] : cmd[i]?.startsWith('-m') ? cmd[i].slice(2) : undefined;
    if (mod !== 'torch.distributed.run') return null;
    args = cmd.slice(cmd[i] === '-m' ? i + 2 : i + 1);
  } else {
    return null;
  }
  const script = args.find((a) => !a.startsWith('-') && a.endsWith('.py'));
  return script ?? '';
}

export function analyzeRunSh(text: string): RunShAnalysis {
  const { commands, problems } = splitShell(text);
  const env: RunShAnalysis['env'] = [];
  const launches: ShellCommand[] = [];
  for (const c of commands) {
    if (CONTROL_WORDS.has(c.words[0])) {
      problems.push(`line ${c.line}: \`${c.words[0]}\` (run.sh must be a plain launch, without control flow)`);
      continue;
    }
    const cmd = strip(c.words, env, c.line);
    if (cmd.length === 0) continue;
    const script = torchrunScript(cmd);
    if (script !== null) {
      const normalized = script.replace(/^(\.\/)+/, '');
      if (normalized === 'train_gpt.py') launches.push(c);
      else problems.push(`line ${c.line}: torchrun launches ${script ? `\`${script}\`` : 'no script'} instead of train_gpt.py`);
      if (c.end === '&') problems.push(`line ${c.line}: the launch runs in the background`);
      continue;
    }
    if (cmd[0] === 'export') {
      for (const w of cmd.slice(1)) if (ASSIGNMENT.test(w)) env.push({ name: w.slice(0, w.indexOf('=')), value: w.slice(w.indexOf('=') + 1), line: c.line });
      continue;
    }
    if (HARMLESS.has(cmd[0])) continue;
    const prev = commands[commands.indexOf(c) - 1];
    if (cmd[0] === 'tee' && prev && prev.end === '|') continue; // `torchrun … | tee log`
    problems.push(`line ${c.line}: runs \`${cmd.join(' ').slice(0, 120)}\` besides the launch (work there is outside the timed region)`);
  }
  if (launches.length > 1) problems.push(`train_gpt.py is launched ${launches.length} times (lines ${launches.map((l) => l.line).join(', ')})`);
  return { commands, launches, problems, env };
}
