import { pathParts } from './pathParts.js';

/** A path on one line, cut in the middle when narrow, its name always shown; the whole path on hover. */
export function MiddlePath({ path, className = '', suffix = '' }: { path: string; className?: string; suffix?: string }): React.JSX.Element {
  const { head, tail } = pathParts(path);
  return (
    <span className={`mid-path ${className}`} title={path}>
      {head && <span className="head">{head}</span>}
      <span className="tail">{tail}{suffix}</span>
    </span>
  );
}
