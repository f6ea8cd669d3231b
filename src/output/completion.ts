/**
 * Shell completion of what @oclif/plugin-autocomplete cannot complete: Zoom event type names as
 * simulate's and events show's arguments and as --event values, and --category values. Loaded after the
 * plugin's script, it answers those positions and hands every other one to the plugin's function.
 */
export interface CompletionWords {
  bin: string
  events: string[]
  categories: string[]
}

export type CompletionShell = 'bash' | 'zsh'

export function completionScript(shell: CompletionShell, words: CompletionWords): string {
  return shell === 'bash' ? bashScript(words) : zshScript(words)
}

/** The function name must be a shell identifier whatever the bin is called. */
function identifier(bin: string): string {
  return bin.replace(/[^A-Za-z0-9_]/g, '_')
}

function bashScript({bin, events, categories}: CompletionWords): string {
  const name = identifier(bin)
  return `# ${bin}: Zoom event types and categories (after: eval "$(${bin} autocomplete:script bash)")
_${name}_event_types="${events.join(' ')}"
_${name}_categories="${categories.join(' ')}"
_${name}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="\${COMP_WORDS[1]}"
  if [[ "$prev" == "--event" ]] || { [[ "$cur" != -* && "$prev" != -* && $COMP_CWORD -ge 2 ]] && { [[ "$command" == simulate ]] || [[ "$command" == events && "\${COMP_WORDS[2]}" == show && $COMP_CWORD -eq 3 ]]; }; }; then
    COMPREPLY=($(compgen -W "$_${name}_event_types" -- "$cur"))
    return 0
  fi
  if [[ "$prev" == "--category" ]]; then
    COMPREPLY=($(compgen -W "$_${name}_categories" -- "$cur"))
    return 0
  fi
  if declare -F _${name}_autocomplete >/dev/null; then _${name}_autocomplete; fi
}
complete -o default -F _${name}_complete ${bin}
`
}

function zshScript({bin, events, categories}: CompletionWords): string {
  const name = identifier(bin)
  return `# ${bin}: Zoom event types and categories (after: eval "$(${bin} autocomplete:script zsh)")
_${name}_event_types=(${events.join(' ')})
_${name}_categories=(${categories.join(' ')})
_${name}_complete() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]} command=\${words[2]}
  if [[ $prev == --event ]] || { [[ $cur != -* && $prev != -* && CURRENT -gt 2 ]] && { [[ $command == simulate ]] || [[ $command == events && \${words[3]} == show && CURRENT -eq 4 ]] } }; then
    compadd -- $_${name}_event_types
    return
  fi
  if [[ $prev == --category ]]; then
    compadd -- $_${name}_categories
    return
  fi
  (( $+functions[_${name}] )) && _${name}
}
compdef _${name}_complete ${bin}
`
}
