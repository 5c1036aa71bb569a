"""``v1lab stimuli preview FILE --out sheet.png``: a contact sheet of a stimulus set."""

__all__ = ["add_parser"]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("stimuli", help="inspect stimulus-set files")
    actions = parser.add_subparsers(dest="stimuli_action", metavar="ACTION", required=True)
    preview = actions.add_parser("preview", help="draw a contact sheet of a stimulus set (PNG)")
    preview.add_argument("file", help="stimulus-set YAML file, e.g. stimuli/gratings_osp.yaml")
    preview.add_argument("--out", required=True, help="output PNG path")
    preview.add_argument("--max", type=int, default=36, help="most stimuli to draw, evenly spaced (default 36)")
    preview.add_argument("--ppd", type=float, default=None, help="pixels per degree (default: the set's, 28)")
    preview.add_argument("--size-px", type=int, default=224, help="canvas size in pixels (default 224)")
    preview.add_argument("--device", default="cpu", help="torch device to render on (default cpu)")
    preview.set_defaults(func=_preview)


def _preview(args) -> int:
    from v1lab.stimuli import load_stimulus_set
    from v1lab.stimuli.preview import contact_sheet

    stim = load_stimulus_set(args.file)
    if args.ppd is not None:
        stim = stim.with_ppd(args.ppd)
    out = contact_sheet(stim, args.out, max_images=args.max, size_px=args.size_px, device=args.device)
    print(f"{out}: {min(args.max, len(stim))} of {len(stim)} stimuli of '{stim.name}'")
    return 0
