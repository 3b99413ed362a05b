import type { z } from 'zod';

/** One line per problem, each naming the field path and what was expected, e.g. `gpus: expected number, received string`. */
export function formatZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length
        ? issue.path
            .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
            .join('.')
            .replace(/\.\[/g, '[')
        : '(input)';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}
