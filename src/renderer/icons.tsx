/** The header's icons: drawn in the text colour, named by the button that holds them (aria-label), never read. */
const svg = { width: 16, height: 16, viewBox: '0 0 16 16', fill: 'none', stroke: 'currentColor', strokeWidth: 1.5, strokeLinecap: 'round' as const, strokeLinejoin: 'round' as const, 'aria-hidden': true, focusable: false };

export function PauseIcon(): React.JSX.Element {
  return <svg {...svg}><path d="M5.5 3.5v9M10.5 3.5v9" /></svg>;
}

export function ResumeIcon(): React.JSX.Element {
  return <svg {...svg}><path d="M5 3.5v9l7.5-4.5z" /></svg>;
}

export function SearchIcon(): React.JSX.Element {
  return <svg {...svg}><circle cx="7" cy="7" r="4.25" /><path d="M10.25 10.25 13.5 13.5" /></svg>;
}

export function SettingsIcon(): React.JSX.Element {
  return (
    <svg {...svg}>
      <circle cx="8" cy="8" r="2.25" />
      <path d="M8 1.75v1.8M8 12.45v1.8M1.75 8h1.8M12.45 8h1.8M3.58 3.58l1.27 1.27M11.15 11.15l1.27 1.27M3.58 12.42l1.27-1.27M11.15 4.85l1.27-1.27" />
    </svg>
  );
}
